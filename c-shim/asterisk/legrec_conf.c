/*
 * legrec_conf.c -- legrec.conf, read with Asterisk's config API and handed
 * to the core as sections of key/value lines with their line numbers.  The
 * core checks every value and names the line of any error.
 */
#include "legrec_ast.h"

#include "asterisk/config.h"
#include "asterisk/logger.h"
#include "asterisk/paths.h"

#define LEGREC_CONF "legrec.conf"

legrec_config *legrec_conf_read(int reload, int *unchanged)
{
	struct ast_flags flags = { reload ? CONFIG_FLAG_FILEUNCHANGED : 0 };
	struct ast_config *cfg;
	legrec_config *config;
	const char *cat = NULL;
	int has_spool = 0;

	*unchanged = 0;
	cfg = ast_config_load(LEGREC_CONF, flags);
	if (cfg == CONFIG_STATUS_FILEUNCHANGED) {
		*unchanged = 1;
		return NULL;
	}
	if (!cfg || cfg == CONFIG_STATUS_FILEINVALID) {
		ast_log(LOG_ERROR, "%s is missing or cannot be parsed; legrec needs it (see legrec.conf.sample)\n",
			LEGREC_CONF);
		return NULL;
	}
	config = legrec_config_new();
	if (!config) {
		ast_config_destroy(cfg);
		return NULL;
	}
	while ((cat = ast_category_browse(cfg, cat))) {
		struct ast_variable *v;

		/* Declared first, so a policy with every default exists too. */
		legrec_config_set(config, cat, NULL, NULL, 0);
		for (v = ast_variable_browse(cfg, cat); v; v = v->next) {
			if (!strcmp(cat, "general") && !strcmp(v->name, "spool_dir")) {
				has_spool = 1;
			}
			legrec_config_set(config, cat, v->name, v->value, (uint32_t) v->lineno);
		}
	}
	if (!has_spool) {
		/* Default beside Asterisk's other spools: <astspooldir>/legrec. */
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/legrec", ast_config_AST_SPOOL_DIR);
		legrec_config_set(config, "general", "spool_dir", dir, 0);
	}
	ast_config_destroy(cfg);
	return config;
}
