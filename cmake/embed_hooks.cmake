# Turns the shims in hooks/ into a C table for `appctl hook install`, so the
# installed hooks and the files in the source tree cannot disagree.
# Run with -DOUT=... -DHOOKS_DIR=...
set(body "/* Generated from the shims in hooks/; do not edit. */\n#include <stddef.h>\n#include \"hook_shims.h\"\n\nconst appctl_hook_shim appctl_hook_shims[] = {\n")
foreach(name pre-receive update pre-push)
	file(READ "${HOOKS_DIR}/${name}" text)
	string(REPLACE "\\" "\\\\" text "${text}")
	string(REPLACE "\"" "\\\"" text "${text}")
	string(REPLACE "\n" "\\n\"\n\t\"" text "${text}")
	string(APPEND body "\t{ \"${name}\",\n\t\"${text}\" },\n")
endforeach()
string(APPEND body "\t{ NULL, NULL }\n};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(RENAME "${OUT}.tmp" "${OUT}")
