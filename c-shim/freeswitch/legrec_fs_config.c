/*
 * legrec_fs_config.c -- legrec.conf.xml, read with FreeSWITCH's XML config
 * API: <settings> are the core's [general], each <policy name="..."> a
 * policy.  The core checks every value and names the policy and key of any
 * error.
 */
#include "legrec_fs.h"

static void add_params(legrec_config *config, const char *section, switch_xml_t parent)
{
	switch_xml_t param;

	for (param = switch_xml_child(parent, "param"); param; param = param->next) {
		const char *name = switch_xml_attr_soft(param, "name");
		const char *value = switch_xml_attr_soft(param, "value");

		legrec_config_set(config, section, name, value, 0);
	}
}

legrec_config *legrec_fs_read_config(void)
{
	switch_xml_t xml, cfg, settings, policies, policy;
	legrec_config *config;
	int has_spool = 0;

	if (!(xml = switch_xml_open_cfg("legrec.conf", &cfg, NULL))) {
		switch_log_printf(SWITCH_CHANNEL_LOG, SWITCH_LOG_ERROR,
			"legrec.conf is missing from the XML configuration; see legrec.conf.xml in the legrec sources\n");
		return NULL;
	}
	config = legrec_config_new();
	if ((settings = switch_xml_child(cfg, "settings"))) {
		switch_xml_t p;

		add_params(config, "general", settings);
		for (p = switch_xml_child(settings, "param"); p; p = p->next) {
			if (!strcmp(switch_xml_attr_soft(p, "name"), "spool_dir")) {
				has_spool = 1;
			}
		}
	}
	if (!has_spool) {
		char dir[1024];

		switch_snprintf(dir, sizeof(dir), "%s%slegrec", SWITCH_GLOBAL_dirs.recordings_dir, SWITCH_PATH_SEPARATOR);
		legrec_config_set(config, "general", "spool_dir", dir, 0);
	}
	if ((policies = switch_xml_child(cfg, "policies"))) {
		for (policy = switch_xml_child(policies, "policy"); policy; policy = policy->next) {
			const char *name = switch_xml_attr_soft(policy, "name");

			/* Declared first, so a policy with every default exists too. */
			legrec_config_set(config, name, NULL, NULL, 0);
			add_params(config, name, policy);
		}
	}
	switch_xml_free(xml);
	return config;
}
