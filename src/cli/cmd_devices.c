#include "audio/lib.h"
#include "cli/cli.h"
#include "core/lib.h"

#include <json-c/json.h>
#include <string.h>

int cmd_devices(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *only = NULL;
	if (argc == 3 && strcmp(argv[1], "-b") == 0)
		only = argv[2];
	else if (argc != 1)
		return cli_usage("devices");
	struct json_object *root = ctx->json ? json_object_new_object() : NULL;
	const char *chosen = capture_backend_auto();
	int status = 0;
	bool known = false;
	for (size_t b = 0; b < capture_backend_count(); b++) {
		const char *name = capture_backend_name_at(b);
		struct capture_device *list = NULL;
		size_t n = 0;
		char err[512] = "";
		if (strcmp(name, "file") == 0 || (only && strcmp(only, name) != 0))
			continue;
		known = true;
		int rc = capture_list_devices(name, &list, &n, err, sizeof(err));
		if (root) {
			struct json_object *o = json_object_new_object();
			struct json_object *arr = json_object_new_array();
			json_object_object_add(o, "available", json_object_new_boolean(rc == 0));
			json_object_object_add(
			    o, "auto",
			    json_object_new_boolean(chosen && strcmp(chosen, name) == 0));
			if (rc)
				json_object_object_add(o, "error", json_object_new_string(err));
			for (size_t i = 0; i < n; i++) {
				struct json_object *d = json_object_new_object();
				json_object_object_add(d, "name",
				                       json_object_new_string(list[i].name));
				json_object_object_add(d, "description",
				                       json_object_new_string(list[i].description));
				json_object_object_add(d, "default",
				                       json_object_new_boolean(list[i].is_default));
				json_object_object_add(d, "monitor",
				                       json_object_new_boolean(list[i].is_monitor));
				json_object_array_add(arr, d);
			}
			json_object_object_add(o, "devices", arr);
			json_object_object_add(root, name, o);
		} else {
			printf("%s%s\n", name,
			       chosen && strcmp(chosen, name) == 0 ? " (used when -b is not given)"
			                                           : "");
			if (rc)
				printf("  unavailable: %s\n", err);
			else if (n == 0)
				printf("  no capture devices\n");
			for (size_t i = 0; i < n; i++)
				printf("  %-40s %s%s%s\n", list[i].name, list[i].description,
				       list[i].is_default ? " [default]" : "",
				       list[i].is_monitor ? " [monitor of an output]" : "");
		}
		capture_devices_free(&list, n);
	}
	if (!known) {
		json_object_put(root);
		return cli_fail("devices: no capture backend '%s' (alsa, pulse)", only);
	}
	if (root)
		cli_print_json(root);
	return status;
}
