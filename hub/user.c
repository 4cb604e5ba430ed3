/*
 * The `user` commands of user.h.
 */
#include "user.h"

#include "account.h"
#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "period.h"
#include "store.h"
#include "text.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#define complain(...) tally_cli_complain(prog, __VA_ARGS__)

/* One line of f without its line end into buf; false at EOF or when the
 * line is too long. */
static bool
read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int) len, f) == NULL) {
		return false;
	}
	n = strlen(buf);
	if (n == len - 1 && buf[n - 1] != '\n') {
		return false;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
		buf[--n] = '\0';
	}
	return true;
}

/* Reads the password: the first line of --password-file, or of standard
 * input (without echo, asked twice, when it is a terminal). */
static int
read_password(const char *prog, const char *file, char *buf, size_t len)
{
	struct termios old, quiet;
	char           again[TALLY_ACCOUNT_PASSWORD_MAX + 2];
	bool           tty = file == NULL && isatty(STDIN_FILENO);
	bool           ok;
	FILE          *f = stdin;

	if (file != NULL) {
		f = fopen(file, "r");
		if (f == NULL) {
			return complain(EX_NOINPUT,
			    "user: --password-file %s: %s", file,
			    strerror(errno));
		}
	}
	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t) ECHO;
		(void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		fputs("Password: ", stderr);
	}
	ok = read_line(f, buf, len);
	if (tty) {
		fputs("\nAgain: ", stderr);
		ok = ok && read_line(f, again, sizeof(again)) &&
		    strcmp(buf, again) == 0;
		fputs("\n", stderr);
		(void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		sodium_memzero(again, sizeof(again));
	}
	if (file != NULL) {
		fclose(f);
	}
	if (!ok) {
		return complain(EX_DATAERR,
		    "user: no password read (one line, the same twice at a "
		    "terminal)");
	}
	if (strlen(buf) < TALLY_ACCOUNT_PASSWORD_MIN) {
		return complain(EX_DATAERR,
		    "user: the password is shorter than %d characters",
		    TALLY_ACCOUNT_PASSWORD_MIN);
	}
	return EX_OK;
}

/* The store of --db: a region's hub or a comparison hub's. */
static int
open_db(const char *prog, const struct tally_catalog *cat,
    const struct hub_user_args *a, struct tally_store **st)
{
	struct tally_errbuf eb = { "" };
	int                 rv;

	if (a->db == NULL) {
		return tally_cli_usage(prog, "user", "--db is required");
	}
	rv = tally_store_open(a->db, cat, st, &eb);
	if (rv == TALLY_ECONFIG) {
		rv = tally_store_open_group(a->db, cat, st, &eb);
	}
	if (rv != TALLY_OK) {
		return complain(tally_exit_code(rv), "user: %s", eb.text);
	}
	return EX_OK;
}

/* A region the hub's pages can show: the hub's or one below it; on a
 * comparison hub, any region of the catalogue (the group's scope rules
 * are in access.h). */
static int
check_region(const char *prog, const struct tally_catalog *cat,
    struct tally_store *st, const char *region)
{
	const char *hub = tally_store_region(st);

	if (region == NULL || !tally_region_code_valid(region) ||
	    tally_catalog_division(cat, region) == NULL) {
		return complain(EX_DATAERR,
		    "user add: --region: '%s' is not a region of the "
		    "catalogue",
		    region != NULL ? region : "");
	}
	if (tally_store_group(st) == NULL && strcmp(region, hub) != 0 &&
	    !tally_catalog_is_below(cat, hub, region)) {
		return complain(EX_DATAERR,
		    "user add: --region: %s is not %s or below it: this "
		    "hub shows nothing of it",
		    region, hub);
	}
	return EX_OK;
}

static int
user_add(const char *prog, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_user_args *a)
{
	char pw[TALLY_ACCOUNT_PASSWORD_MAX + 2];
	int  role = 0, ex, rv;

	if (a->name == NULL || a->region == NULL || a->role == NULL) {
		return tally_cli_usage(prog, "user add",
		    "--name, --region and --role are required");
	}
	if (!tally_account_name_valid(a->name)) {
		return complain(EX_DATAERR,
		    "user add: --name: '%s' is not 1 to %d letters, digits, "
		    "'.', '_' or '-'",
		    a->name, TALLY_ACCOUNT_NAME_MAX);
	}
	if (tally_role_parse(a->role, &role) != TALLY_OK) {
		return complain(EX_DATAERR,
		    "user add: --role: '%s' is not viewer, operator or "
		    "approver",
		    a->role);
	}
	ex = check_region(prog, cat, st, a->region);
	if (ex == EX_OK) {
		ex = read_password(prog, a->password_file, pw, sizeof(pw));
	}
	if (ex != EX_OK) {
		return ex;
	}
	rv = tally_account_add(st, a->name, a->region, role, pw);
	sodium_memzero(pw, sizeof(pw));
	if (rv == TALLY_EEXIST) {
		return complain(
		    EX_CANTCREAT, "user add: %s already exists", a->name);
	}
	if (rv != TALLY_OK) {
		return complain(
		    tally_exit_code(rv), "user add: %s", tally_strerror(rv));
	}
	printf("added %s: %s of %s\n", a->name, a->role, a->region);
	return EX_OK;
}

static int
user_list(const char *prog, const struct tally_catalog *cat,
    struct tally_store *st, const struct hub_user_args *a)
{
	struct tally_account *v   = NULL;
	size_t                n   = 0;
	int                   fmt = TALLY_FORMAT_TABLE;
	int                   rv;

	if (a->format != NULL &&
	    (tally_format_parse(a->format, &fmt) != 0 ||
	        fmt == TALLY_FORMAT_CSV)) {
		return tally_cli_usage(
		    prog, "user list", "--format must be table or json");
	}
	rv = tally_account_list(st, &v, &n);
	if (rv != TALLY_OK) {
		return complain(
		    tally_exit_code(rv), "user list: %s", tally_strerror(rv));
	}
	if (fmt == TALLY_FORMAT_TABLE) {
		printf("%-20s %-8s %-9s %-8s %s\n", "name", "region", "role",
		    "state", "changed (UTC)");
	} else {
		fputs("[", stdout);
	}
	for (size_t i = 0; i < n; i++) {
		const struct tally_division *d =
		    tally_catalog_division(cat, v[i].region);
		char when[32];

		tally_clock_format_iso(v[i].changed_ms, when, sizeof(when));
		if (fmt == TALLY_FORMAT_TABLE) {
			printf("%-20s %-8s %-9s %-8s %s  %s\n", v[i].name,
			    v[i].region, tally_role_name(v[i].role),
			    v[i].disabled ? "disabled" : "enabled", when,
			    d != NULL ? d->name : "");
			continue;
		}
		/* Names are [A-Za-z0-9._-] and codes digits: nothing to
		 * escape. */
		printf("%s{\"name\":\"%s\",\"region\":\"%s\",\"role\":\"%s\","
		       "\"disabled\":%s,\"changed\":\"%s\"}",
		    i > 0 ? "," : "", v[i].name, v[i].region,
		    tally_role_name(v[i].role),
		    v[i].disabled ? "true" : "false", when);
	}
	if (fmt == TALLY_FORMAT_JSON) {
		puts("]");
	}
	free(v);
	return EX_OK;
}

static int
user_change(const char *prog, const char *sub, struct tally_store *st,
    const struct hub_user_args *a)
{
	char pw[TALLY_ACCOUNT_PASSWORD_MAX + 2];
	int  rv, ex;

	if (a->name == NULL) {
		return tally_cli_usage(prog, sub, "--name is required");
	}
	if (strcmp(sub, "passwd") == 0) {
		ex = read_password(prog, a->password_file, pw, sizeof(pw));
		if (ex != EX_OK) {
			return ex;
		}
		rv = tally_account_passwd(st, a->name, pw);
		sodium_memzero(pw, sizeof(pw));
	} else {
		rv = tally_account_set_disabled(
		    st, a->name, strcmp(sub, "disable") == 0);
	}
	if (rv == TALLY_ENOENT) {
		return complain(
		    EX_NOUSER, "user %s: no account %s", sub, a->name);
	}
	if (rv != TALLY_OK) {
		return complain(tally_exit_code(rv), "user %s: %s", sub,
		    tally_strerror(rv));
	}
	printf("%s: %s%s\n", a->name,
	    strcmp(sub, "passwd") == 0        ? "password changed"
	        : strcmp(sub, "disable") == 0 ? "disabled"
	                                      : "enabled",
	    strcmp(sub, "enable") == 0 ? "" : "; its sessions ended");
	return EX_OK;
}

int
hub_user_command(const char *prog, const char *sub,
    const struct tally_catalog *cat, const struct hub_user_args *a)
{
	struct tally_store *st = NULL;
	int                 ex;

	if (sub == NULL ||
	    (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 &&
	        strcmp(sub, "disable") != 0 && strcmp(sub, "enable") != 0 &&
	        strcmp(sub, "passwd") != 0)) {
		return tally_cli_usage(prog, "user",
		    "expected add, list, disable, enable or passwd");
	}
	ex = open_db(prog, cat, a, &st);
	if (ex != EX_OK) {
		return ex;
	}
	if (strcmp(sub, "add") == 0) {
		ex = user_add(prog, cat, st, a);
	} else if (strcmp(sub, "list") == 0) {
		ex = user_list(prog, cat, st, a);
	} else {
		ex = user_change(prog, sub, st, a);
	}
	tally_store_close(st);
	return ex;
}
