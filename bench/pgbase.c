/*
 * The PostgreSQL baseline declared in pgbase.h, over libpq.
 */
#include "pgbase.h"

#include "stats.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench_pg {
	PGconn *conn;
	char    version[128];
};

/* Runs a statement that returns no rows (or whose rows are ignored). */
static int
exec_ok(struct bench_pg *pg, const char *sql)
{
	PGresult *r  = PQexec(pg->conn, sql);
	int       st = PQresultStatus(r);
	int       rv = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "tally-bench: postgresql: %s: %s", sql,
		    PQerrorMessage(pg->conn));
		rv = -1;
	}
	PQclear(r);
	return rv;
}

struct bench_pg *
bench_pg_connect(const char *conninfo)
{
	struct bench_pg *pg = calloc(1, sizeof(*pg));
	PGresult        *r;

	if (pg == NULL) {
		return NULL;
	}
	pg->conn = PQconnectdb(conninfo);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		fprintf(stderr, "tally-bench: postgresql: %s",
		    PQerrorMessage(pg->conn));
		bench_pg_close(pg);
		return NULL;
	}
	r = PQexec(pg->conn, "SELECT version()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		snprintf(pg->version, sizeof(pg->version), "%s",
		    PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	/* Floats come back in their shortest exact form; notices (a table
	 * to drop that is not there) are not printed. */
	if (exec_ok(pg,
	        "SET extra_float_digits = 3;"
	        " SET client_min_messages = warning") != 0) {
		bench_pg_close(pg);
		return NULL;
	}
	return pg;
}

void
bench_pg_close(struct bench_pg *pg)
{
	if (pg == NULL) {
		return;
	}
	PQfinish(pg->conn);
	free(pg);
}

const char *
bench_pg_version(struct bench_pg *pg)
{
	return pg->version;
}

/* COPY table FROM STDIN with the bytes of path. */
static int
copy_file(struct bench_pg *pg, const char *sql, const char *path)
{
	PGresult *r;
	FILE     *f;
	char      buf[1 << 16];
	size_t    n;
	int       rv = 0;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "tally-bench: cannot read %s\n", path);
		return -1;
	}
	r = PQexec(pg->conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "tally-bench: postgresql: %s: %s", sql,
		    PQerrorMessage(pg->conn));
		PQclear(r);
		fclose(f);
		return -1;
	}
	PQclear(r);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (PQputCopyData(pg->conn, buf, (int) n) != 1) {
			rv = -1;
			break;
		}
	}
	if (ferror(f)) {
		rv = -1;
	}
	fclose(f);
	if (PQputCopyEnd(pg->conn, rv == 0 ? NULL : "read error") != 1) {
		rv = -1;
	}
	while ((r = PQgetResult(pg->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "tally-bench: postgresql: COPY %s: %s",
			    path, PQerrorMessage(pg->conn));
			rv = -1;
		}
		PQclear(r);
	}
	return rv;
}

int
bench_pg_load(struct bench_pg *pg, const struct tally_catalog *cat,
    const char *flat, double *copy_ms)
{
	char     path[1024];
	uint64_t t0;

	if (exec_ok(pg,
	        "DROP TABLE IF EXISTS raw, div, ind;"
	        "CREATE TABLE div (code text PRIMARY KEY, name text,"
	        " level text, parent_code text);"
	        "CREATE TABLE ind (id text PRIMARY KEY, name_zh text,"
	        " name_en text, kind text, unit text, factor float8,"
	        " better text, time_agg text, note text);"
	        "CREATE TABLE raw (region text NOT NULL,"
	        " indicator text NOT NULL, period text NOT NULL,"
	        " numerator float8, denominator float8, value float8,"
	        " weight float8, PRIMARY KEY (region, indicator, period))") !=
	    0) {
		return -1;
	}
	snprintf(path, sizeof(path), "%s/divisions.csv", cat->dir);
	if (copy_file(pg, "COPY div FROM STDIN (FORMAT csv, HEADER true)",
	        path) != 0) {
		return -1;
	}
	snprintf(path, sizeof(path), "%s/indicators.csv", cat->dir);
	if (copy_file(pg, "COPY ind FROM STDIN (FORMAT csv, HEADER true)",
	        path) != 0) {
		return -1;
	}
	t0 = bench_now_ns();
	if (copy_file(pg, "COPY raw FROM STDIN (FORMAT csv, HEADER true)",
	        flat) != 0) {
		return -1;
	}
	*copy_ms = bench_ms_since(t0);
	/* Statistics, as autovacuum would gather them soon after. */
	return exec_ok(pg, "ANALYZE");
}

/* Every leaf's own figure for the year, by the time rule of its
 * indicator (the row whose period ends latest for `last`, else the
 * sum), then the same sums at every level of the tree. A few cities
 * have no counties: such a leaf lies right below its province, with no
 * city. GROUPING tells the levels of the result apart. */
static const char *rollup_sql =
    "WITH r AS ("
    " SELECT CASE WHEN c.level = 'province' THEN c.code"
    "  ELSE c.parent_code END AS province,"
    "  CASE WHEN c.level = 'province' THEN NULL ELSE c.code END AS city,"
    "  x.region AS county, x.indicator, i.time_agg,"
    "  CASE WHEN length(x.period) = 4 THEN 12"
    "   WHEN substr(x.period, 5, 1) = 'Q'"
    "   THEN 3 * substr(x.period, 6, 1)::int"
    "   ELSE substr(x.period, 6, 2)::int END AS last_month,"
    "  CASE i.kind WHEN 'ratio' THEN x.numerator"
    "   WHEN 'count' THEN x.value ELSE x.weight * x.value END AS a,"
    "  CASE i.kind WHEN 'ratio' THEN x.denominator"
    "   WHEN 'count' THEN 0 ELSE x.weight END AS b"
    " FROM raw x JOIN div d ON d.code = x.region"
    " JOIN div c ON c.code = d.parent_code"
    " JOIN ind i ON i.id = x.indicator"
    " WHERE left(x.period, 4) = $1),"
    " leaf AS ("
    " SELECT province, city, county, indicator,"
    "  CASE WHEN min(time_agg) = 'last'"
    "   THEN (array_agg(a ORDER BY last_month DESC))[1]"
    "   ELSE sum(a) END AS a,"
    "  CASE WHEN min(time_agg) = 'last'"
    "   THEN (array_agg(b ORDER BY last_month DESC))[1]"
    "   ELSE sum(b) END AS b"
    " FROM r GROUP BY province, city, county, indicator)"
    " SELECT province, city, county, indicator, sum(a), sum(b), count(*),"
    "  GROUPING(province, city, county)"
    " FROM leaf GROUP BY indicator, ROLLUP (province, city, county)";

int
bench_pg_rollup(struct bench_pg *pg, const struct tally_catalog *cat, int year,
    struct bench_sums *by, double *query_ms)
{
	const char *params[1];
	char        ytext[8];
	PGresult   *r;
	uint64_t    t0;
	size_t      stride = cat->n_divisions + 1;
	int         rows, rv = 0;

	snprintf(ytext, sizeof(ytext), "%04d", year);
	params[0] = ytext;
	t0        = bench_now_ns();
	r = PQexecParams(pg->conn, rollup_sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tally-bench: postgresql: rollup: %s",
		    PQerrorMessage(pg->conn));
		PQclear(r);
		return -1;
	}
	rows = PQntuples(r);
	/* The time to read every figure back is part of the query's. */
	memset(by, 0, cat->n_indicators * stride * sizeof(*by));
	for (int i = 0; i < rows; i++) {
		const struct tally_indicator *ind =
		    tally_catalog_indicator(cat, PQgetvalue(r, i, 3));
		const char                  *code = NULL;
		const struct tally_division *div;
		size_t                       slot;
		int                          g = atoi(PQgetvalue(r, i, 7));

		/* The column of the row's level: 0 a leaf, 1 a city, 3 a
		 * province, 7 the whole. A leaf without a city has a city
		 * row of its own, with no city: it is the leaf's again. */
		if (g == 0 || g == 1 || g == 3) {
			int col = g == 0 ? 2 : g == 1 ? 1 : 0;

			if (PQgetisnull(r, i, col)) {
				continue;
			}
			code = PQgetvalue(r, i, col);
		} else if (g != 7) {
			rv = -1;
			continue;
		}
		if (ind == NULL) {
			rv = -1;
			continue;
		}
		if (code == NULL) {
			slot = cat->n_divisions;
		} else {
			div = tally_catalog_division(cat, code);
			if (div == NULL) {
				rv = -1;
				continue;
			}
			slot = (size_t) (div - cat->divisions);
		}
		slot += (size_t) (ind - cat->indicators) * stride;
		by[slot].a = strtod(PQgetvalue(r, i, 4), NULL);
		by[slot].b = strtod(PQgetvalue(r, i, 5), NULL);
		by[slot].leaves =
		    (unsigned) strtoul(PQgetvalue(r, i, 6), NULL, 10);
	}
	*query_ms = bench_ms_since(t0);
	PQclear(r);
	if (rv != 0) {
		fprintf(stderr,
		    "tally-bench: postgresql: rollup rows with unknown "
		    "codes\n");
	}
	return rv;
}

int
bench_pg_update(struct bench_pg *pg, const char *region,
    const struct bench_row *r, double *ms)
{
	const char *params[7];
	char        period[TALLY_PERIOD_STRLEN];
	char        v[4][32];
	double f[4] = { r->obs.num, r->obs.den, r->obs.value, r->obs.weight };
	PGresult *res;
	uint64_t  t0;
	int       rv = 0;

	tally_period_format(&r->obs.period, period);
	params[0] = region;
	params[1] = r->ind->id;
	params[2] = period;
	for (int i = 0; i < 4; i++) {
		snprintf(v[i], sizeof(v[i]), "%.17g", f[i]);
		params[3 + i] = v[i];
	}
	/* Only the columns the kind uses were given; the rest stay NULL. */
	t0  = bench_now_ns();
	res = PQexecParams(pg->conn,
	    "UPDATE raw SET"
	    " numerator = CASE WHEN numerator IS NULL THEN NULL"
	    "  ELSE $4::float8 END,"
	    " denominator = CASE WHEN denominator IS NULL THEN NULL"
	    "  ELSE $5::float8 END,"
	    " value = CASE WHEN value IS NULL THEN NULL ELSE $6::float8 END,"
	    " weight = CASE WHEN weight IS NULL THEN NULL"
	    "  ELSE $7::float8 END"
	    " WHERE region = $1 AND indicator = $2 AND period = $3",
	    7, NULL, params, NULL, NULL, 0);
	*ms = bench_ms_since(t0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdTuples(res), "1") != 0) {
		fprintf(stderr, "tally-bench: postgresql: update: %s",
		    PQerrorMessage(pg->conn));
		rv = -1;
	}
	PQclear(res);
	return rv;
}
