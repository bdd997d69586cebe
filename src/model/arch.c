/* arch.c - the two architectures' descriptions (arch.h). */
#include "model/arch.h"

static const struct hrm_arch_desc descs[] = {
	[HRM_ARCH_HRM] = { HRM_ARCH_HRM, "HRM", "Hierarchical Reasoning Model", "z_H", "z_L", "dz_H", "dz_L",
			   "lm_head(H_level(z_H, z_L))", "H-step", "L-step", false },
	[HRM_ARCH_TRM] = { HRM_ARCH_TRM, "TRM", "Tiny Recursive Model", "y (z_H)", "z (z_L)", "dy (dz_H)",
			   "dz (dz_L)", "lm_head(net(y, z))", "H-step (answer update)", "L-step (latent recursion)",
			   true },
};

const struct hrm_arch_desc *hrm_arch_desc(const struct hrm_config *c)
{
	return &descs[c->arch == HRM_ARCH_TRM ? HRM_ARCH_TRM : HRM_ARCH_HRM];
}

bool hrm_q_continue_used(const struct hrm_config *c)
{
	return !(c->arch == HRM_ARCH_TRM && c->no_ACT_continue);
}

bool hrm_halts_adaptive(const struct hrm_config *c, float q_halt, float q_continue)
{
	return hrm_q_continue_used(c) ? q_halt > q_continue : q_halt > 0.0f;
}

const char *hrm_halt_rule(const struct hrm_config *c)
{
	return hrm_q_continue_used(c) ? "q_halt > q_continue" : "q_halt > 0";
}

int hrm_update_layers(const struct hrm_config *c, bool level_L)
{
	return level_L || hrm_arch_desc(c)->shared_net ? c->L_layers : c->H_layers;
}
