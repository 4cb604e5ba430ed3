/*
 * The access log of accesslog.h, in the store's access_log table.
 */
#include "accesslog.h"

#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "log.h"
#include "period.h"

#include <jansson.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <string.h>

int
hub_accesslog_add(struct tally_store *st, const char *name,
    const char *address, const char *action, const char *target,
    const char *outcome)
{
	sqlite3      *db = tally_store_handle(st);
	sqlite3_stmt *s  = NULL;
	int           rc;

	rc = sqlite3_prepare_v2(db,
	    "INSERT INTO access_log (at, name, address, action, target,"
	    " outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64) tally_clock_now_ms());
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, address, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, outcome, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		TALLY_LOG(TALLY_LOG_ERROR,
		    "access log: cannot record %s %s by '%s': %s", action,
		    outcome, name, sqlite3_errmsg(db));
		return TALLY_EDB;
	}
	return TALLY_OK;
}

/* A CSV field, quoted when it needs to be. */
static void
csv_field(FILE *out, const char *s, const char *sep)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fprintf(out, "%s%s", s, sep);
		return;
	}
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"') {
			fputc('"', out);
		}
		fputc(*s, out);
	}
	fprintf(out, "\"%s", sep);
}

static void
print_row(FILE *out, int format, const char *f[6], json_t *list)
{
	static const char *keys[] = { "at", "name", "address", "action",
		"target", "outcome" };

	if (format == TALLY_FORMAT_JSON) {
		json_t *o = json_object();

		for (int i = 0; i < 6; i++) {
			json_object_set_new(o, keys[i], json_string(f[i]));
		}
		json_array_append_new(list, o);
	} else if (format == TALLY_FORMAT_CSV) {
		for (int i = 0; i < 6; i++) {
			csv_field(out, f[i], i < 5 ? "," : "\n");
		}
	} else {
		fprintf(out, "%-20s %-16s %-15s %-10s %-9s %s\n", f[0],
		    f[1][0] != '\0' ? f[1] : "-", f[2], f[3], f[5], f[4]);
	}
}

int
hub_accesslog_print(
    FILE *out, struct tally_store *st, int format, const char *name)
{
	sqlite3      *db   = tally_store_handle(st);
	sqlite3_stmt *s    = NULL;
	json_t       *list = json_array();
	int           rc;

	rc = sqlite3_prepare_v2(db,
	    "SELECT at, name, address, action, target, outcome"
	    " FROM access_log WHERE ?1 IS NULL OR name = ?1 ORDER BY id",
	    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		json_decref(list);
		return TALLY_EDB;
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (format == TALLY_FORMAT_CSV) {
		fputs("at,name,address,action,target,outcome\n", out);
	} else if (format == TALLY_FORMAT_TABLE) {
		fprintf(out, "%-20s %-16s %-15s %-10s %-9s %s\n", "at (UTC)",
		    "name", "address", "action", "outcome", "target");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *f[6];
		char        when[32];

		tally_clock_format_iso(
		    sqlite3_column_int64(s, 0), when, sizeof(when));
		f[0] = when;
		for (int i = 1; i < 6; i++) {
			f[i] = (const char *) sqlite3_column_text(s, i);
		}
		print_row(out, format, f, list);
	}
	sqlite3_finalize(s);
	if (format == TALLY_FORMAT_JSON) {
		char *text = json_dumps(list, JSON_INDENT(2));

		if (text != NULL) {
			fprintf(out, "%s\n", text);
		}
		free(text);
	}
	json_decref(list);
	return rc == SQLITE_DONE ? TALLY_OK : TALLY_EDB;
}
