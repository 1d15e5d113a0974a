# Turns one page of docs/commands/ into its troff man page, as git has one
# page per command: appctl.md gives appctl(1), promote.md appctl-promote(1).
# The same pages are the --help text (cmake/embed_docs.cmake, rendered by
# src/cli/help_render.c), so the two cannot disagree.
# Run with -DPAGE=.../docs/commands/NAME.md -DOUT=.../appctl-NAME.1 -DVERSION=x.y.z
#
# The page's "# title(1)" is the .TH line, its "##" headings .SH and "###"
# .SS. Understood Markdown: headings, ``` fenced blocks (.nf/.fi), pipe
# tables (tbl), "- "/"* " and "1. " lists (.IP) whose indented lines
# continue the item, "TERM" lines followed by ": definition" (.TP),
# `code`, **bold** and [text](url). Everything else is text. The output is
# kept clean under `mandoc -T lint -W warning` (tests/cli/help.sh checks).

cmake_minimum_required(VERSION 3.25)

if(NOT OUT OR NOT PAGE)
	message(FATAL_ERROR "usage: cmake -DPAGE=FILE.md -DOUT=FILE.1 [-DVERSION=V] -P man_page.cmake")
endif()
if(NOT VERSION)
	set(VERSION "unknown")
endif()

# CMake lists split on ";" (except inside "[...]") and treat "\;" as an
# escape, so the text's own backslashes, semicolons and brackets travel as
# control characters and come back only when the page is written. _ESC
# stands for a backslash this script emits (a troff escape).
string(ASCII 1 _SEMI)
string(ASCII 2 _LB)
string(ASCII 3 _RB)
string(ASCII 4 _BS)
string(ASCII 5 _ESC)

# Escapes one line of page text for troff. A leading "." or "'" would be
# read as a request; "-" is written "\-" so options can be copied.
function(man_escape out line)
	string(REPLACE "${_BS}" "${_ESC}e" line "${line}")
	string(REPLACE "-" "${_ESC}-" line "${line}")
	if(line MATCHES "^[.']")
		set(line "${_ESC}&${line}")
	endif()
	set(${out} "${line}" PARENT_SCOPE)
endfunction()

# Escapes a line of prose and turns `code` and **bold** into bold and
# [text](url) into its text (and the address, when it is a web one).
function(man_inline out line)
	string(STRIP "${line}" line)
	man_escape(line "${line}")
	string(REGEX REPLACE "\\*\\*([^*]+)\\*\\*" "${_ESC}fB\\1${_ESC}fR" line "${line}")
	string(REGEX REPLACE "`([^`]+)`" "${_ESC}fB\\1${_ESC}fR" line "${line}")
	string(REGEX REPLACE "${_LB}([^${_RB}]*)${_RB}\\((https?:[^)]*)\\)" "\\1 <\\2>" line "${line}")
	string(REGEX REPLACE "${_LB}([^${_RB}]*)${_RB}\\(([^)]*)\\)" "\\1" line "${line}")
	set(${out} "${line}" PARENT_SCOPE)
endfunction()

# Converts the page at `path`; its title goes to `title_out`. A paragraph
# macro is never written right after a heading (mandoc: "skipping
# paragraph macro"), since the heading starts a paragraph itself.
function(man_convert out title_out path)
	file(READ "${path}" text)
	string(REPLACE "\r" "" text "${text}")
	string(REPLACE "\\" "${_BS}" text "${text}")
	string(REPLACE ";" "${_SEMI}" text "${text}")
	string(REPLACE "[" "${_LB}" text "${text}")
	string(REPLACE "]" "${_RB}" text "${text}")
	string(REPLACE "\n" ";" lines "${text}")
	list(LENGTH lines count)

	set(body "")
	set(title "")
	set(in_code FALSE)
	set(in_table FALSE)
	set(after_heading FALSE)
	set(i 0)
	while(i LESS count)
		list(GET lines ${i} line)
		math(EXPR next "${i} + 1")
		set(next_line "")
		if(next LESS count)
			list(GET lines ${next} next_line)
		endif()
		# What opens a block: nothing right after a heading.
		if(after_heading)
			set(pp "")
		else()
			set(pp ".PP\n")
		endif()

		if(in_code)
			if(line MATCHES "^```")
				string(APPEND body ".fi\n.RE\n")
				set(in_code FALSE)
			elseif(line STREQUAL "")
				# An empty line in .nf is a blank line, but mandoc
				# warns of it; .sp says the same.
				string(APPEND body ".sp\n")
			else()
				man_escape(line "${line}")
				string(APPEND body "${line}\n")
			endif()
		elseif(line MATCHES "^```")
			string(APPEND body "${pp}.RS 4\n.nf\n")
			set(in_code TRUE)
			set(after_heading FALSE)
		elseif(line MATCHES "^[|]")
			# A pipe table: header row bold, the "---" row dropped.
			string(REGEX REPLACE "^[|](.*)[|][ \t]*$" "\\1" row "${line}")
			if(NOT in_table)
				string(REGEX MATCHALL "[|]" bars "${row}")
				list(LENGTH bars ncols)
				math(EXPR ncols "${ncols} + 1")
				# Columns are tab-separated; the last one takes the rest
				# of the line and wraps.
				math(EXPR nfixed "${ncols} - 1")
				string(REPEAT "lB " ${nfixed} head_fmt)
				string(REPEAT "l " ${nfixed} row_fmt)
				string(APPEND body "${pp}.TS\n${head_fmt}lB\n${row_fmt}lx.\n")
				set(in_table TRUE)
				set(table_head TRUE)
				set(after_heading FALSE)
			endif()
			if(NOT row MATCHES "^[ \t|:-]*$")
				string(REPLACE "|" ";" cells "${row}")
				# Only the last, wrapping column needs a text block.
				set(troff_cells "")
				list(LENGTH cells ncells)
				set(c 1)
				foreach(cell IN LISTS cells)
					string(REPLACE "\t" " " cell "${cell}")
					man_inline(cell "${cell}")
					if(c EQUAL ncells)
						set(cell "T{\n${cell}\nT}")
					endif()
					list(APPEND troff_cells "${cell}")
					math(EXPR c "${c} + 1")
				endforeach()
				list(JOIN troff_cells "\t" troff_row)
				string(APPEND body "${troff_row}\n")
				if(table_head)
					string(APPEND body "_\n")
					set(table_head FALSE)
				endif()
			endif()
			if(NOT next_line MATCHES "^[|]")
				string(APPEND body ".TE\n")
				set(in_table FALSE)
			endif()
		elseif(line MATCHES "^# ")
			# "# appctl-promote(1)": the page's name and section.
			string(REGEX REPLACE "^# *([^(]*).*$" "\\1" title "${line}")
			string(STRIP "${title}" title)
		elseif(line MATCHES "^##+ ")
			string(REGEX REPLACE "^(##+) *(.*)$" "\\2" heading "${line}")
			man_inline(heading "${heading}")
			string(REPLACE "\"" "${_ESC}(dq" heading "${heading}")
			if(line MATCHES "^## ")
				string(APPEND body ".SH \"${heading}\"\n")
			else()
				string(APPEND body ".SS \"${heading}\"\n")
			endif()
			set(after_heading TRUE)
		elseif(line MATCHES "^[ \t]*$")
			# Paragraph breaks come from the next block's own macro.
		elseif(next_line MATCHES "^: ")
			man_inline(term "${line}")
			string(APPEND body ".TP\n${term}\n")
			set(after_heading FALSE)
		elseif(line MATCHES "^: ")
			string(REGEX REPLACE "^: *" "" line "${line}")
			man_inline(line "${line}")
			string(APPEND body "${line}\n")
		elseif(line MATCHES "^[-*] ")
			string(REGEX REPLACE "^[-*] *" "" line "${line}")
			man_inline(line "${line}")
			string(APPEND body ".IP ${_ESC}(bu 2\n${line}\n")
			set(after_heading FALSE)
		elseif(line MATCHES "^[0-9]+[.] ")
			string(REGEX REPLACE "^([0-9]+[.]) *(.*)$" "\\1" number "${line}")
			string(REGEX REPLACE "^([0-9]+[.]) *(.*)$" "\\2" line "${line}")
			man_inline(line "${line}")
			string(APPEND body ".IP ${number} 4\n${line}\n")
			set(after_heading FALSE)
		else()
			# Prose: a line after a blank line (or a heading) opens a paragraph.
			math(EXPR prev "${i} - 1")
			set(prev_line "")
			if(i GREATER 0)
				list(GET lines ${prev} prev_line)
			endif()
			if(prev_line MATCHES "^[ \t]*$" OR prev_line MATCHES "^#")
				string(APPEND body "${pp}")
			endif()
			man_inline(line "${line}")
			string(APPEND body "${line}\n")
			set(after_heading FALSE)
		endif()
		set(i ${next})
	endwhile()
	if(in_code)
		message(FATAL_ERROR "${path}: unterminated ``` block")
	endif()
	if(title STREQUAL "")
		message(FATAL_ERROR "${path}: no \"# NAME(1)\" title line")
	endif()
	set(${out} "${body}" PARENT_SCOPE)
	set(${title_out} "${title}" PARENT_SCOPE)
endfunction()

man_convert(body title "${PAGE}")

# As in git: appctl(1) lists the command pages; each of them points back.
set(see_also "")
if(NOT body MATCHES "\n[.]SH \"SEE ALSO\"")
	get_filename_component(pages_dir "${PAGE}" DIRECTORY)
	if(title STREQUAL "appctl")
		file(GLOB pages "${pages_dir}/*.md")
		list(SORT pages)
		list(FILTER pages EXCLUDE REGEX "/appctl\\.md$")
		set(refs "")
		foreach(page IN LISTS pages)
			get_filename_component(name "${page}" NAME_WE)
			list(APPEND refs ".BR appctl${_ESC}-${name} (1)")
		endforeach()
		list(JOIN refs ",\n" refs)
		set(see_also ".SH \"SEE ALSO\"\n${refs}\n")
	else()
		set(see_also ".SH \"SEE ALSO\"\n.BR appctl (1)\n")
	endif()
endif()

# The date is the build's (or SOURCE_DATE_EPOCH's, for reproducible builds).
string(TIMESTAMP date "%Y-%m-%d" UTC)
string(TOUPPER "${title}" th)
man_escape(th "${th}")

# '\" t asks man(1) to run tbl for the tables.
set(man "'${_ESC}\" t\n")
string(APPEND man "'${_ESC}\" Generated from docs/commands/*.md by cmake/man_page.cmake; do not edit.\n")
string(APPEND man ".TH ${th} 1 ${date} \"appctl ${VERSION}\" \"appctl manual\"\n")
string(APPEND man ".ad l\n.nh\n")
string(APPEND man "${body}${see_also}")

string(REPLACE "${_ESC}" "\\" man "${man}")
string(REPLACE "${_BS}" "\\e" man "${man}")
string(REPLACE "${_SEMI}" ";" man "${man}")
string(REPLACE "${_LB}" "[" man "${man}")
string(REPLACE "${_RB}" "]" man "${man}")
file(WRITE "${OUT}.tmp" "${man}")
file(RENAME "${OUT}.tmp" "${OUT}")
