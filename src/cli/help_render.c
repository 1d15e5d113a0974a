/* help_render.c: a command page's Markdown as man(1)-like text, so --help shows the one source readably. */
#include "help_render.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/strbuf.h"

/*
 * The Markdown understood is what the pages docs/commands/NAME.md use (and what
 * cmake/man_page.cmake turns into troff):
 *   "# title(1)"            the page title, shown as a man page header
 *   "## H", "### H"         sections and subsections
 *   ``` ... ```             code, shown verbatim and indented
 *   "| a | b |" rows        tables of up to 8 columns (a "---" row is dropped)
 *   "- ", "* ", "1. "       list items; indented lines continue them
 *   "TERM" then ": text"    a definition; indented lines continue it
 *   `code`, **bold**, [text](url), \-escapes inline
 * Anything else is paragraph text, re-flowed.
 *
 * Inline styling travels through the layout as two marker bytes, so that
 * wrapping can count only visible columns and close bold at a line end.
 */
#define BOLD_ON '\001'
#define BOLD_OFF '\002'

#define SECTION_INDENT 4
#define CODE_INDENT 2 /* more than the text around it */
#define DEFINITION_INDENT 4

typedef struct line {
	const char *s;
	size_t len;
} line;

typedef struct render {
	appctl_strbuf out;
	int width;
	int bold;     /* emit ANSI for the markers */
	int bold_now; /* a marker left bold on across words */
	int indent;   /* of body text in the current section */
	int any;      /* something was written */
} render;

static int is_blank(line l)
{
	size_t i;

	for (i = 0; i < l.len; i++)
		if (!isspace((unsigned char)l.s[i]))
			return 0;
	return 1;
}

static int starts(line l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l.len >= n && memcmp(l.s, prefix, n) == 0;
}

static size_t leading_spaces(line l)
{
	size_t i = 0;

	while (i < l.len && l.s[i] == ' ')
		i++;
	return i;
}

/* Length of a list marker ("- ", "* ", "12. ") at the start of `l`, or 0. */
static size_t list_marker(line l)
{
	size_t i = 0;

	if (l.len >= 2 && (l.s[0] == '-' || l.s[0] == '*') && l.s[1] == ' ')
		return 2;
	while (i < l.len && i < 3 && isdigit((unsigned char)l.s[i]))
		i++;
	if (i > 0 && i + 1 < l.len && l.s[i] == '.' && l.s[i + 1] == ' ')
		return i + 2;
	return 0;
}

/* Columns a styled string takes: markers and UTF-8 continuation bytes take none. */
static size_t visible_width(const char *s, size_t len)
{
	size_t i, w = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == BOLD_ON || c == BOLD_OFF || (c & 0xC0) == 0x80)
			continue;
		w++;
	}
	return w;
}

/* Appends `len` bytes of inline Markdown to `b` as styled text. */
static void inline_text(appctl_strbuf *b, const char *s, size_t len,
	int in_bold)
{
	size_t i = 0;

	while (i < len) {
		char c = s[i];

		if (c == '\\' && i + 1 < len &&
			ispunct((unsigned char)s[i + 1])) {
			appctl_strbuf_putc(b, s[i + 1]);
			i += 2;
		} else if (c == '`') {
			size_t ticks = 0, j, close = 0, found = 0;

			while (i + ticks < len && s[i + ticks] == '`')
				ticks++;
			for (j = i + ticks; j + ticks <= len; j++) {
				size_t k = 0;

				while (k < ticks && s[j + k] == '`')
					k++;
				if (k == ticks &&
					(j + k == len || s[j + k] != '`')) {
					close = j;
					found = 1;
					break;
				}
			}
			if (!found) {
				appctl_strbuf_add(b, s + i, ticks);
				i += ticks;
				continue;
			}
			if (!in_bold)
				appctl_strbuf_putc(b, BOLD_ON);
			/* "`` `x` ``": the spaces inside the ticks are padding. */
			j = i + ticks;
			if (ticks > 1 && close > j && s[j] == ' ' &&
				s[close - 1] == ' ') {
				appctl_strbuf_add(b, s + j + 1, close - j - 2);
			} else {
				appctl_strbuf_add(b, s + j, close - j);
			}
			if (!in_bold)
				appctl_strbuf_putc(b, BOLD_OFF);
			i = close + ticks;
		} else if (c == '*' && i + 1 < len && s[i + 1] == '*') {
			const char *end = NULL;
			size_t j;

			for (j = i + 2; j + 1 < len; j++) {
				if (s[j] == '*' && s[j + 1] == '*') {
					end = s + j;
					break;
				}
			}
			if (!end || end == s + i + 2) {
				appctl_strbuf_add(b, "**", 2);
				i += 2;
				continue;
			}
			if (!in_bold)
				appctl_strbuf_putc(b, BOLD_ON);
			inline_text(b, s + i + 2, (size_t)(end - (s + i + 2)),
				1);
			if (!in_bold)
				appctl_strbuf_putc(b, BOLD_OFF);
			i = (size_t)(end - s) + 2;
		} else if (c == '[') {
			/* [text](url): the text, and the address when it is one. */
			const char *mid = NULL, *end = NULL;
			size_t j;

			for (j = i + 1; j + 1 < len && s[j] != '\n'; j++) {
				if (s[j] == ']' && s[j + 1] == '(') {
					mid = s + j;
					break;
				}
			}
			if (mid) {
				for (j = (size_t)(mid - s) + 2; j < len; j++) {
					if (s[j] == ')') {
						end = s + j;
						break;
					}
				}
			}
			if (!mid || !end) {
				appctl_strbuf_putc(b, c);
				i++;
				continue;
			}
			inline_text(b, s + i + 1, (size_t)(mid - (s + i + 1)),
				in_bold);
			if ((size_t)(end - mid) > 9 &&
				(strncmp(mid + 2, "http://", 7) == 0 ||
					strncmp(mid + 2, "https://", 8) == 0)) {
				appctl_strbuf_puts(b, " <");
				appctl_strbuf_add(b, mid + 2,
					(size_t)(end - mid - 2));
				appctl_strbuf_putc(b, '>');
			}
			i = (size_t)(end - s) + 1;
		} else {
			appctl_strbuf_putc(b, c);
			i++;
		}
	}
}

static void put_spaces(render *r, int n)
{
	while (n-- > 0)
		appctl_strbuf_putc(&r->out, ' ');
}

/* Writes `len` bytes of styled text, turning the markers into ANSI or nothing. */
static void put_styled(render *r, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == BOLD_ON) {
			if (r->bold && !r->bold_now)
				appctl_strbuf_puts(&r->out, "\033[1m");
			r->bold_now = 1;
		} else if (s[i] == BOLD_OFF) {
			if (r->bold && r->bold_now)
				appctl_strbuf_puts(&r->out, "\033[0m");
			r->bold_now = 0;
		} else {
			appctl_strbuf_putc(&r->out, s[i]);
		}
	}
}

/* Ends an output line; bold never runs past its end (a pager would smear it). */
static void end_line(render *r)
{
	if (r->bold && r->bold_now)
		appctl_strbuf_puts(&r->out, "\033[0m");
	appctl_strbuf_putc(&r->out, '\n');
	r->any = 1;
}

static void start_line(render *r, int indent)
{
	put_spaces(r, indent);
	if (r->bold && r->bold_now)
		appctl_strbuf_puts(&r->out, "\033[1m");
}

/*
 * Re-flows styled text: the first line starts at `first` columns (the
 * caller has written them when `first_written`), the others at `indent`.
 */
static void wrap(render *r, const char *s, size_t len, int first, int indent,
	int first_written)
{
	size_t i = 0, col;
	int line_has_word = 0;

	if (!first_written)
		start_line(r, first);
	else if (r->bold && r->bold_now)
		appctl_strbuf_puts(&r->out, "\033[1m");
	col = (size_t)first;
	while (i < len) {
		size_t start, w;

		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !isspace((unsigned char)s[i]))
			i++;
		w = visible_width(s + start, i - start);
		if (line_has_word && col + 1 + w > (size_t)r->width) {
			end_line(r);
			start_line(r, indent);
			col = (size_t)indent;
			line_has_word = 0;
		}
		if (line_has_word) {
			appctl_strbuf_putc(&r->out, ' ');
			col++;
		}
		put_styled(r, s + start, i - start);
		col += w;
		line_has_word = 1;
	}
	end_line(r);
	r->bold_now = 0;
}

/*
 * Joins lines [from, to) of inline Markdown into styled text, the first
 * without its first `skip_first` bytes and the others without their
 * indentation, so that `code` and **bold** may span lines.
 */
static void join_lines(appctl_strbuf *b, const line *lines, size_t from,
	size_t to, size_t skip_first)
{
	appctl_strbuf raw = APPCTL_STRBUF_INIT;
	size_t i;

	for (i = from; i < to; i++) {
		line l = lines[i];
		size_t sp = i == from ? skip_first : leading_spaces(l);

		if (i > from)
			appctl_strbuf_putc(&raw, ' ');
		if (sp > l.len)
			sp = l.len;
		appctl_strbuf_add(&raw, l.s + sp, l.len - sp);
	}
	if (raw.failed)
		b->failed = 1;
	else if (raw.ptr)
		inline_text(b, raw.ptr, raw.len, 0);
	appctl_strbuf_dispose(&raw);
}

static void paragraph(render *r, const line *lines, size_t from, size_t to,
	size_t skip_first, int first, int indent, int first_written)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;

	join_lines(&b, lines, from, to, skip_first);
	if (b.failed) {
		r->out.failed = 1;
	} else {
		wrap(r, b.ptr ? b.ptr : "", b.len, first, indent,
			first_written);
	}
	appctl_strbuf_dispose(&b);
}

/* "# appctl-promote(1)" as man's header: APPCTL-PROMOTE(1) on both sides. */
static void title(render *r, line l)
{
	char name[128];
	size_t n = 0, i = 2, middle_len = strlen("appctl manual");
	int gap;

	while (i < l.len && l.s[i] == ' ')
		i++;
	for (; i < l.len && n + 1 < sizeof(name); i++) {
		if (l.s[i] == '`' || l.s[i] == '\\')
			continue;
		name[n++] = (char)toupper((unsigned char)l.s[i]);
	}
	while (n > 0 && name[n - 1] == ' ')
		n--;
	name[n] = '\0';
	gap = r->width - 2 * (int)n - (int)middle_len;
	appctl_strbuf_puts(&r->out, name);
	if (gap >= 2) {
		put_spaces(r, gap / 2);
		appctl_strbuf_puts(&r->out, "appctl manual");
		put_spaces(r, gap - gap / 2);
		appctl_strbuf_puts(&r->out, name);
	}
	end_line(r);
}

static void heading(render *r, line l, int level)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t sp = (size_t)level;

	while (sp < l.len && l.s[sp] == ' ')
		sp++;
	appctl_strbuf_putc(&b, BOLD_ON);
	inline_text(&b, l.s + sp, l.len - sp, 1);
	appctl_strbuf_putc(&b, BOLD_OFF);
	if (b.failed)
		r->out.failed = 1;
	else
		wrap(r, b.ptr, b.len, level == 2 ? 0 : SECTION_INDENT / 2,
			SECTION_INDENT, 0);
	appctl_strbuf_dispose(&b);
}

/* Splits a table row into cells (without the outer bars), each inline-rendered. */
static size_t table_cells(appctl_strbuf *cells, size_t max, line l)
{
	size_t i = 0, n = 0, start;

	while (i < l.len && l.s[i] == ' ')
		i++;
	if (i < l.len && l.s[i] == '|')
		i++;
	while (i < l.len && n < max) {
		int in_code = 0;
		size_t end, a, z;

		start = i;
		while (i < l.len && (in_code || l.s[i] != '|')) {
			if (l.s[i] == '\\' && i + 1 < l.len)
				i++;
			else if (l.s[i] == '`')
				in_code = !in_code;
			i++;
		}
		end = i;
		if (i < l.len)
			i++; /* the bar */
		a = start;
		z = end;
		while (a < z && isspace((unsigned char)l.s[a]))
			a++;
		while (z > a && isspace((unsigned char)l.s[z - 1]))
			z--;
		if (i >= l.len && a == z && end == l.len)
			break; /* nothing after the last bar */
		inline_text(&cells[n], l.s + a, z - a, 0);
		/* A NUL, so that even an empty cell has a string. */
		appctl_strbuf_putc(&cells[n], '\0');
		if (cells[n].failed)
			cells[n].len = 0; /* out of memory: an empty cell */
		else
			cells[n].len--;
		n++;
	}
	return n;
}

static int is_rule_row(line l)
{
	size_t i;

	for (i = 0; i < l.len; i++)
		if (!strchr("|:- \t", l.s[i]))
			return 0;
	return 1;
}

#define MAX_COLUMNS 8

/* Columns but the last as wide as their widest cell; the last wraps. */
static void table(render *r, const line *lines, size_t from, size_t to)
{
	size_t widths[MAX_COLUMNS] = { 0 }, ncols = 0, i, c;
	size_t total = 0;

	for (i = from; i < to; i++) {
		appctl_strbuf cells[MAX_COLUMNS];
		size_t n;

		if (is_rule_row(lines[i]))
			continue;
		memset(cells, 0, sizeof(cells));
		n = table_cells(cells, MAX_COLUMNS, lines[i]);
		for (c = 0; c < n; c++) {
			size_t w = cells[c].ptr
				? visible_width(cells[c].ptr, cells[c].len)
				: 0;

			if (w > widths[c])
				widths[c] = w;
			appctl_strbuf_dispose(&cells[c]);
		}
		if (n > ncols)
			ncols = n;
	}
	for (c = 0; c + 1 < ncols; c++)
		total += widths[c] + 2;
	for (i = from; i < to; i++) {
		appctl_strbuf cells[MAX_COLUMNS], last = APPCTL_STRBUF_INIT;
		size_t n, col = (size_t)r->indent + total;
		int header = i == from;

		if (is_rule_row(lines[i]))
			continue;
		memset(cells, 0, sizeof(cells));
		n = table_cells(cells, MAX_COLUMNS, lines[i]);
		put_spaces(r, r->indent);
		for (c = 0; c + 1 < n; c++) {
			const char *text = cells[c].ptr ? cells[c].ptr : "";

			if (header)
				put_styled(r, (const char[]){ BOLD_ON }, 1);
			put_styled(r, text, cells[c].len);
			if (header)
				put_styled(r, (const char[]){ BOLD_OFF }, 1);
			put_spaces(r,
				(int)(widths[c] + 2 -
					visible_width(text, cells[c].len)));
		}
		/* The last cell wraps under itself, or a little in when too narrow. */
		if (header)
			appctl_strbuf_putc(&last, BOLD_ON);
		if (n > 0 && cells[n - 1].ptr)
			appctl_strbuf_add(&last, cells[n - 1].ptr,
				cells[n - 1].len);
		if (header)
			appctl_strbuf_putc(&last, BOLD_OFF);
		if (last.failed)
			r->out.failed = 1;
		else
			wrap(r, last.ptr, last.len, (int)col,
				col + 20 <= (size_t)r->width
					? (int)col
					: r->indent + DEFINITION_INDENT,
				1);
		for (c = 0; c < n; c++)
			appctl_strbuf_dispose(&cells[c]);
		appctl_strbuf_dispose(&last);
		if (header) {
			put_spaces(r, r->indent);
			for (c = 0; c < ncols; c++) {
				size_t k, w = widths[c];

				if (c + 1 == ncols &&
					col + w > (size_t)r->width)
					w = col + 4 < (size_t)r->width
						? (size_t)r->width - col
						: 4;
				for (k = 0; k < w; k++)
					appctl_strbuf_putc(&r->out, '-');
				if (c + 1 < ncols)
					put_spaces(r, 2);
			}
			end_line(r);
		}
	}
}

/* A line that begins a block of its own (and so ends a paragraph). */
static int starts_block(const line *lines, size_t n, size_t i)
{
	line l = lines[i];

	return starts(l, "#") || starts(l, "```") || starts(l, "|") ||
		list_marker(l) > 0 || starts(l, ": ") ||
		(i + 1 < n && starts(lines[i + 1], ": "));
}

static size_t split_lines(line **out, const char *md)
{
	size_t n = 0, cap = 0;
	const char *p = md;
	line *lines = NULL;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (n == cap) {
			line *grown;

			cap = cap ? cap * 2 : 64;
			grown = realloc(lines, cap * sizeof(*lines));
			if (!grown) {
				free(lines);
				*out = NULL;
				return (size_t)-1;
			}
			lines = grown;
		}
		if (len > 0 && p[len - 1] == '\r')
			len--;
		lines[n].s = p;
		lines[n].len = len;
		n++;
		p = nl ? nl + 1 : p + len;
		if (!nl)
			break;
	}
	*out = lines;
	return n;
}

char *appctl_help_render(const char *page, int width, int bold)
{
	render r;
	line *lines;
	size_t n, i = 0, k, len = strlen(page);
	int blank_before = 0, after_heading = 1;
	char *md = malloc(len + 1), *to;

	if (!md)
		return NULL;
	/* The marker bytes are the layout's own: a page cannot bring any. */
	for (to = md, k = 0; k < len; k++)
		if (page[k] != BOLD_ON && page[k] != BOLD_OFF)
			*to++ = page[k];
	*to = '\0';
	memset(&r, 0, sizeof(r));
	r.width = width < 40 ? 40 : width;
	r.bold = bold;
	r.indent = SECTION_INDENT;
	n = split_lines(&lines, md);
	if (n == (size_t)-1) {
		free(md);
		return NULL;
	}
	while (i < n) {
		line l = lines[i];
		size_t j, marker;

		if (is_blank(l)) {
			blank_before = 1;
			i++;
			continue;
		}
		/* One blank line between blocks that Markdown separates. */
		if (r.any &&
			((blank_before && !after_heading) || starts(l, "## ")))
			appctl_strbuf_putc(&r.out, '\n');
		blank_before = 0;
		after_heading = 0;
		if (starts(l, "# ")) {
			title(&r, l);
			after_heading = 1;
			i++;
		} else if (starts(l, "## ") || starts(l, "### ")) {
			int level = starts(l, "## ") ? 2 : 3;

			heading(&r, l, level);
			after_heading = 1;
			i++;
		} else if (starts(l, "```")) {
			for (i++; i < n && !starts(lines[i], "```"); i++) {
				if (is_blank(lines[i])) {
					appctl_strbuf_putc(&r.out, '\n');
					continue;
				}
				put_spaces(&r, r.indent + CODE_INDENT);
				appctl_strbuf_add(&r.out, lines[i].s,
					lines[i].len);
				end_line(&r);
			}
			i++; /* the closing fence (or the end of an unclosed one) */
		} else if (starts(l, "|")) {
			for (j = i; j < n && starts(lines[j], "|"); j++)
				;
			table(&r, lines, i, j);
			i = j;
		} else if ((marker = list_marker(l)) > 0) {
			/* The item and its indented continuation lines. */
			for (j = i + 1; j < n && !is_blank(lines[j]) &&
				leading_spaces(lines[j]) >= 2 &&
				!list_marker(lines[j]);
				j++)
				;
			put_spaces(&r, r.indent);
			if (l.s[0] == '-' || l.s[0] == '*')
				appctl_strbuf_puts(&r.out, "- ");
			else
				appctl_strbuf_add(&r.out, l.s, marker);
			paragraph(&r, lines, i, j, marker,
				r.indent + (int)marker, r.indent + (int)marker,
				1);
			i = j;
		} else if (i + 1 < n && starts(lines[i + 1], ": ")) {
			/* TERM, then ": definition" and its indented lines. */
			paragraph(&r, lines, i, i + 1, 0, r.indent, r.indent,
				0);
			for (j = i + 2; j < n && !is_blank(lines[j]) &&
				leading_spaces(lines[j]) >= 2;
				j++)
				;
			paragraph(&r, lines, i + 1, j, 2,
				r.indent + DEFINITION_INDENT,
				r.indent + DEFINITION_INDENT, 0);
			i = j;
		} else {
			for (j = i + 1; j < n && !is_blank(lines[j]) &&
				!starts_block(lines, n, j);
				j++)
				;
			paragraph(&r, lines, i, j, leading_spaces(l), r.indent,
				r.indent, 0);
			i = j;
		}
	}
	free(lines);
	free(md);
	if (r.out.failed) {
		appctl_strbuf_dispose(&r.out);
		return NULL;
	}
	if (!r.out.ptr)
		return calloc(1, 1);
	return appctl_strbuf_detach(&r.out);
}
