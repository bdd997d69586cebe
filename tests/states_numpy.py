#!/usr/bin/env python3
"""np.load reads `hrmscope trace --states` (not part of make check: needs numpy).

    python3 tests/states_numpy.py ./hrmscope tests/fixtures/models/tiny_maze

Runs a trace with --states into a temporary folder, loads the file with numpy
and checks the shapes and that the norms in the step table are the norms of
the stored states."""
import os
import subprocess
import sys
import tempfile

import numpy as np


def main():
    exe, model = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.npz")
        subprocess.run([exe, "trace", "--model", model, "--seq-len", "25", "--segments", "2",
                        "--states", path, "--format", "csv"], check=True, stdout=subprocess.DEVNULL)
        z = np.load(path)
        n, t, h = z["z_H"].shape
        m = z["step_kind"].shape[0]
        assert z["z_L"].shape == (n, t, h) and z["state_step"].shape == (n,)
        assert z["z_H_init"].shape == (t, h) and int(z["prefix_len"]) == t - z["inputs"].shape[0]
        rows = z["state_step"]
        for name, key in (("z_H", "step_norm_zH"), ("z_L", "step_norm_zL")):
            norms = np.linalg.norm(z[name].reshape(n, -1).astype(np.float64), axis=1)
            assert np.allclose(norms, z[key][rows], rtol=1e-5), (name, norms, z[key][rows])
        assert z["seg_pred"].shape == (z["seg_q_halt"].shape[0], z["inputs"].shape[0])
        print(f"ok: {len(z.files)} arrays, {n} states of {t} x {h}, {m} steps")


if __name__ == "__main__":
    main()
