#!/usr/bin/env python3
"""Writes tests/fixtures/dataset/tiny_maze: an official-format HRM dataset
folder made the way dataset/build_maze_dataset.py makes one, from three 4x4
mazes (seq_len 16) instead of the Hugging Face CSV files.

Run from anywhere: /usr/bin/python3 tests/reference/make_dataset_fixtures.py

Like the official builder (with --aug): the train split gives every maze its
own group of 8 puzzles, the 8 dihedral transforms, one example each; the test
split has one puzzle per maze, untransformed.  Tokens are uint8 (PAD 0, then
the charset "# SGo" as 1..5), the index arrays int32, every puzzle identifier
0 (<blank>).  dataset.json is the dict PuzzleDatasetMetadata.model_dump()
gives (pydantic is not needed: its float field turns mean_puzzle_examples=1
into 1.0), written with json.dump.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "dataset", "tiny_maze")
CHARSET = "# SGo"

# (question, answer) rows of 4 characters each
MAZES = [
    (["S  #", "## #", "#  #", "#G##"], ["Soo#", "##o#", "#oo#", "#G##"]),
    (["S###", " ###", "   G", "####"], ["S###", "o###", "oooG", "####"]),
    (["#S##", "# ##", "#  #", "##G#"], ["#S##", "#o##", "#oo#", "##G#"]),
]


def dihedral(grid, tid):
    """The 8 symmetries of the square, numbered as dataset/common.py numbers them."""
    if tid < 4:
        return np.rot90(grid, k=tid)
    if tid == 4:
        return grid[:, ::-1]
    if tid == 5:
        return grid[::-1, :]
    if tid == 6:
        return grid.T
    return np.rot90(grid, k=1)[:, ::-1]


def grid(rows):
    return np.frombuffer("".join(rows).encode(), dtype=np.uint8).reshape(4, 4)


def build(split, aug):
    inputs, labels = [], []
    puzzle_indices, group_indices, puzzle_identifiers = [0], [0], []
    example_id = puzzle_id = 0
    for q, a in MAZES:
        for tid in range(8 if aug else 1):
            inputs.append(dihedral(grid(q), tid))
            labels.append(dihedral(grid(a), tid))
            example_id += 1
            puzzle_id += 1
            puzzle_indices.append(example_id)
            puzzle_identifiers.append(0)
        group_indices.append(puzzle_id)

    char2id = np.zeros(256, np.uint8)
    char2id[np.array([ord(c) for c in CHARSET])] = np.arange(len(CHARSET)) + 1
    arrays = {
        "inputs": np.vstack([char2id[g.reshape(-1)] for g in inputs]),
        "labels": np.vstack([char2id[g.reshape(-1)] for g in labels]),
        "group_indices": np.array(group_indices, dtype=np.int32),
        "puzzle_indices": np.array(puzzle_indices, dtype=np.int32),
        "puzzle_identifiers": np.array(puzzle_identifiers, dtype=np.int32),
    }
    metadata = {
        "pad_id": 0,
        "ignore_label_id": 0,
        "blank_identifier_id": 0,
        "vocab_size": len(CHARSET) + 1,
        "seq_len": 16,
        "num_puzzle_identifiers": 1,
        "total_groups": len(group_indices) - 1,
        "mean_puzzle_examples": 1.0,
        "sets": ["all"],
    }
    save_dir = os.path.join(OUT, split)
    os.makedirs(save_dir, exist_ok=True)
    with open(os.path.join(save_dir, "dataset.json"), "w") as f:
        json.dump(metadata, f)
    for k, v in arrays.items():
        np.save(os.path.join(save_dir, f"all__{k}.npy"), v)
        print(f"{split}/all__{k}.npy: dtype={v.dtype.str} shape={v.shape}")
    print(f"{split} inputs[:3]:", arrays["inputs"][:3].tolist())
    with open(os.path.join(OUT, "identifiers.json"), "w") as f:
        json.dump(["<blank>"], f)


def main():
    build("train", aug=True)
    build("test", aug=False)


if __name__ == "__main__":
    main()
