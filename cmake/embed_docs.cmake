# Turns docs/commands/<cmd>.md into a C table of the pages' Markdown, which
# src/cli/help_render.c renders as the --help text; cmake/man_page.cmake
# makes the man pages from the same files, so the two cannot disagree.
# Run with -DOUT=... -DPAGES_DIR=...
file(GLOB pages "${PAGES_DIR}/*.md")
list(SORT pages)
set(body "/* Generated from the pages in docs/commands; do not edit. */\n#include <stddef.h>\n#include \"help.h\"\n\nconst appctl_help_page appctl_help_pages[] = {\n")
foreach(page IN LISTS pages)
	get_filename_component(name "${page}" NAME_WE)
	file(READ "${page}" text)
	string(REPLACE "\\" "\\\\" text "${text}")
	string(REPLACE "\"" "\\\"" text "${text}")
	string(REPLACE "\n" "\\n\"\n\t\"" text "${text}")
	string(APPEND body "\t{ \"${name}\",\n\t\"${text}\" },\n")
endforeach()
string(APPEND body "\t{ NULL, NULL }\n};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(RENAME "${OUT}.tmp" "${OUT}")
