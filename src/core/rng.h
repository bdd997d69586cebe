/* rng.h - a small seedable PRNG (xoshiro256**, seeded by splitmix64) so that
 * init, generators and training are reproducible across machines. */
#ifndef HRM_RNG_H
#define HRM_RNG_H

#include <stdint.h>

struct hrm_rng {
	uint64_t s[4];
	int has_spare;
	double spare;
};

void hrm_rng_seed(struct hrm_rng *r, uint64_t seed);
uint64_t hrm_rng_u64(struct hrm_rng *r);
double hrm_rng_uniform(struct hrm_rng *r);         /* [0, 1) */
uint64_t hrm_rng_below(struct hrm_rng *r, uint64_t n); /* [0, n), unbiased */
double hrm_rng_normal(struct hrm_rng *r);          /* standard normal */

#endif
