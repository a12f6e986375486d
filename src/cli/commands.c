#include "cli/cli.h"

/* Every command, once: the dispatcher and `dictum --help` read this table. */
const struct cli_command cli_commands[] = {
    {"patients",
     "add --first NAME --last NAME [--dob DATE] [--mrn MRN] [--email E] | "
     "list [--search TEXT]",
     "add and list patients in the offline store", cmd_patients},
    {"notes",
     "list [--limit N] [--patient ID] [--type T] [--status S] | show ID | "
     "export ID [--format text|markdown|json] [-o FILE] | search QUERY | "
     "add --patient ID --type T FILE|- | sign ID | addendum ID FILE|-",
     "browse, search, export and sign notes in the offline store", cmd_notes},
    {"encounters", "engine ID [local|server]",
     "where an encounter's recordings are transcribed and drafted: here, or on the server "
     "(by dictum sync, falling back to local when it is unreachable)",
     cmd_encounters},
    {"db", "check", "check the store: integrity, schema version, row counts", cmd_db},
    {"workstation", "", "open the ncurses workstation (the default with no command)",
     cmd_workstation},
    {"devices", "[-b alsa|pulse]", "list audio capture devices per backend", cmd_devices},
    {"record",
     "[-b alsa|pulse|file] [-d DEVICE] [-t SECONDS] [-o FILE.wav] [--meter] "
     "[--fallback DEVICE]",
     "record from a microphone to a crash-safe WAV (Ctrl-C stops, SIGUSR1 pauses/resumes)",
     cmd_record},
    {"recover", "", "repair recordings cut off by a crash and mark them recovered", cmd_recover},
    {"serve", "[--listen HOST:PORT] [--db FILE]",
     "run the clinical REST API server (stops on SIGINT/SIGTERM)", cmd_serve},
    {"keys",
     "create --org ORG [--scopes S,...] [--plan team|enterprise] [--db FILE] | "
     "list [--db FILE] | revoke ID [--db FILE]",
     "create, list and revoke the server's API keys", cmd_keys},
    {"transcribe", "[--engine sphinx|http] [--dictation] [--json] FILE|-",
     "transcribe an audio file (--dictation: sections and spoken punctuation)", cmd_transcribe},
    {"asr",
     "adapt [--corpus FILE...] [--signed-notes] | enroll [--count N] [-b BACKEND] [-d DEVICE] "
     "[--prompts FILE] | enroll --from DIR | enroll (--audio FILE --text TEXT)... | enroll "
     "--remove",
     "learn the words and phrasing of your own notes (a language model), or your voice "
     "(read prompted sentences: a voice profile); both used from then on",
     cmd_asr},
    {"note",
     "--type TYPE [--specialty S] [--mode dictation|ambient] [--format text|markdown] "
     "[--json] [--save [--patient ID]] FILE|-",
     "draft a note from a transcript or a recording with the local engines", cmd_note},
    {"templates", "list [--search WORD] [--json]",
     "list note templates: the shipped catalogue and your own", cmd_templates},
    {"icd10", "suggest [--json] [--inpatient] FILE|- | search QUERY | import [--fy YEAR] FILE",
     "ICD-10-CM codes with evidence for a text; search and import the code table", cmd_icd10},
    {"billing",
     "[--json] [--setting office|ed|inpatient|subsequent|discharge] [--new] FILE|- | "
     "--note ID",
     "E/M level with MDM reasoning, HCC and CPT for a note's text", cmd_billing},
    {"hcc", "import FILE", "load CMS's ICD-10 to HCC (V28) mapping table", cmd_hcc},
    {"sync",
     "[--once] [--strict] [--no-pull] [--max-wait SECONDS] | conflicts | "
     "resolve ID --keep-local|--keep-server",
     "push the outbox to the server and pull its changes; offline is not an error", cmd_sync},
};

const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);
