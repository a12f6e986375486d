#include "cli/cli.h"
#include "core/lib.h"

#include <getopt.h>
#include <json-c/json.h>
#include <string.h>

static struct json_object *patient_json(const struct patient *p)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(p->id));
	json_object_object_add(o, "uid", json_object_new_string(p->uid));
	json_object_object_add(o, "first_name", json_object_new_string(p->first_name));
	json_object_object_add(o, "last_name", json_object_new_string(p->last_name));
	json_object_object_add(o, "birth_date",
	                       p->birth_date ? json_object_new_string(p->birth_date) : NULL);
	json_object_object_add(o, "mrn", p->mrn ? json_object_new_string(p->mrn) : NULL);
	json_object_object_add(o, "email", p->email ? json_object_new_string(p->email) : NULL);
	json_object_object_add(o, "created_at", json_object_new_string(p->created_at));
	return o;
}

static bool valid_date(const char *s)
{
	int y, m, d;
	char tail;
	return sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen(s) == 10 && y >= 1800 &&
	       m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int patients_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"first", required_argument, NULL, 'f'}, {"last", required_argument, NULL, 'l'},
	    {"dob", required_argument, NULL, 'd'},   {"mrn", required_argument, NULL, 'm'},
	    {"email", required_argument, NULL, 'e'}, {0, 0, 0, 0},
	};
	struct patient p = {0};
	const char *first = NULL, *last = NULL, *dob = NULL, *mrn = NULL, *email = NULL;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			first = optarg;
			break;
		case 'l':
			last = optarg;
			break;
		case 'd':
			dob = optarg;
			break;
		case 'm':
			mrn = optarg;
			break;
		case 'e':
			email = optarg;
			break;
		default:
			return cli_fail("patients add: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (str_empty(first) || str_empty(last))
		return cli_fail("patients add: --first and --last are required");
	if (dob && !valid_date(dob))
		return cli_fail("patients add: --dob '%s' is not a date (YYYY-MM-DD)", dob);
	store *s = NULL;
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	p.first_name = xstrdup(first);
	p.last_name = xstrdup(last);
	p.birth_date = dob ? xstrdup(dob) : NULL;
	p.mrn = mrn ? xstrdup(mrn) : NULL;
	p.email = email ? xstrdup(email) : NULL;
	if (store_patient_add(s, &p) != DICTUM_OK)
		status = cli_fail("patients add: %s", store_errmsg(s));
	else if (ctx->json)
		cli_print_json(patient_json(&p));
	else
		printf("%lld\t%s\t%s, %s\n", (long long)p.id, p.uid, p.last_name, p.first_name);
	patient_clear(&p);
	store_close(&s);
	return status;
}

static int patients_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"search", required_argument, NULL, 's'},
	    {"limit", required_argument, NULL, 'n'},
	    {0, 0, 0, 0},
	};
	const char *query = NULL;
	int64_t limit = 0;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			query = optarg;
		else if (c != 'n')
			return cli_fail("patients list: unknown option '%s'", argv[optind - 1]);
		else if (!cli_parse_id(optarg, &limit))
			return cli_fail("patients list: --limit needs a positive number");
	}
	store *s = NULL;
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	struct patient *list = NULL;
	size_t n = 0;
	if (store_patient_list(s, query, (size_t)limit, &list, &n) != DICTUM_OK) {
		status = cli_fail("patients list: %s", store_errmsg(s));
	} else if (ctx->json) {
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, patient_json(&list[i]));
		cli_print_json(arr);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%lld\t%s\t%s, %s\t%s\t%s\n", (long long)list[i].id, list[i].uid,
			       list[i].last_name, list[i].first_name,
			       list[i].birth_date ? list[i].birth_date : "-",
			       list[i].mrn ? list[i].mrn : "-");
	}
	patients_free(&list, n);
	store_close(&s);
	return status;
}

int cmd_patients(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("patients");
	if (strcmp(argv[1], "add") == 0)
		return patients_add(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return patients_list(ctx, argc - 1, argv + 1);
	cli_fail("patients: unknown subcommand '%s'", argv[1]);
	return cli_usage("patients");
}
