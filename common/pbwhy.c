/*
 * The reasons declared in pbwhy.h.
 */
#include "pbwhy.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Sub-messages nest two deep in Tally; a hostile nesting stops here. */
#define PBWHY_DEPTH_MAX 8
/* Required fields are tracked for the first 64 fields of a message. */
#define PBWHY_FIELDS_MAX 64

static const char *const wire_names[8] = { "varint", "64-bit",
	"length-delimited", "start group", "end group", "32-bit", "6", "7" };

/* Reads a varint; the bytes it took, 0 when it runs past end or is over
 * ten bytes long. */
static size_t
read_varint(const uint8_t *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && i < 10; i++) {
		v |= (uint64_t) (p[i] & 0x7f) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}

/* The wire type a field of this type is encoded with. */
static unsigned
wire_type_of(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 1;
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 5;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 2;
	default:
		return 0;
	}
}

static const ProtobufCFieldDescriptor *
field_by_id(const ProtobufCMessageDescriptor *desc, uint64_t id, size_t *k)
{
	for (size_t i = 0; i < desc->n_fields; i++) {
		if (desc->fields[i].id == id) {
			*k = i;
			return &desc->fields[i];
		}
	}
	return NULL;
}

struct walk {
	char  *why;
	size_t wlen;
};

static bool walk_message(struct walk *w,
    const ProtobufCMessageDescriptor *desc, const char *where,
    const uint8_t *buf, size_t len, int depth);

/* Skips the value of one field; false (with the reason) when it runs
 * past the end. For a sub-message, walks it. */
static bool
walk_value(struct walk *w, const ProtobufCMessageDescriptor *desc,
    const char *where, const ProtobufCFieldDescriptor *f, size_t index,
    unsigned wt, const uint8_t *buf, size_t len, size_t *pos, int depth)
{
	const char *name = f != NULL ? f->name : "(unknown field)";
	uint64_t    v;
	size_t      n;

	switch (wt) {
	case 0:
		n = read_varint(buf + *pos, len - *pos, &v);
		break;
	case 1:
		n = len - *pos >= 8 ? 8 : 0;
		break;
	case 5:
		n = len - *pos >= 4 ? 4 : 0;
		break;
	default:
		n = read_varint(buf + *pos, len - *pos, &v);
		if (n != 0 && v > len - *pos - n) {
			snprintf(w->why, w->wlen,
			    "message %s%s: field %s: a length of %llu runs "
			    "past "
			    "the end",
			    desc->short_name, where, name,
			    (unsigned long long) v);
			return false;
		}
		if (n != 0 && f != NULL &&
		    f->type == PROTOBUF_C_TYPE_MESSAGE) {
			char sub[64];

			snprintf(sub, sizeof(sub),
			    f->label == PROTOBUF_C_LABEL_REPEATED
			        ? " (%s[%zu])"
			        : " (%s)",
			    f->name, index);
			if (!walk_message(w, f->descriptor, sub,
			        buf + *pos + n, (size_t) v, depth + 1)) {
				return false;
			}
		}
		n = n != 0 ? n + (size_t) v : 0;
		break;
	}
	if (n == 0) {
		snprintf(w->why, w->wlen,
		    "message %s%s: field %s: the message ends inside its "
		    "value",
		    desc->short_name, where, name);
		return false;
	}
	*pos += n;
	return true;
}

/* Checks one tag against the descriptor: false with the reason when its
 * field number or wire type cannot be. */
static bool
tag_ok(struct walk *w, const ProtobufCMessageDescriptor *desc,
    const char *where, uint64_t tag, const ProtobufCFieldDescriptor *f)
{
	unsigned wt = (unsigned) (tag & 7), want;

	if ((tag >> 3) == 0 || wt == 3 || wt == 4 || wt > 5) {
		snprintf(w->why, w->wlen,
		    "message %s%s: not a protobuf tag (field number %llu, "
		    "wire type %s)",
		    desc->short_name, where, (unsigned long long) (tag >> 3),
		    wire_names[wt]);
		return false;
	}
	if (f == NULL) {
		return true;
	}
	want = wire_type_of(f->type);
	/* Repeated numbers may come packed, as one length-delimited run. */
	if (wt != want &&
	    !(wt == 2 && f->label == PROTOBUF_C_LABEL_REPEATED && want != 2)) {
		snprintf(w->why, w->wlen,
		    "message %s%s: field %s: wire type %s where %s is "
		    "expected",
		    desc->short_name, where, f->name, wire_names[wt],
		    wire_names[want]);
		return false;
	}
	return true;
}

static bool
walk_message(struct walk *w, const ProtobufCMessageDescriptor *desc,
    const char *where, const uint8_t *buf, size_t len, int depth)
{
	bool   seen[PBWHY_FIELDS_MAX]  = { false };
	size_t count[PBWHY_FIELDS_MAX] = { 0 };
	size_t pos                     = 0;

	if (depth > PBWHY_DEPTH_MAX) {
		snprintf(w->why, w->wlen, "message %s%s: nested too deep",
		    desc->short_name, where);
		return false;
	}
	while (pos < len) {
		const ProtobufCFieldDescriptor *f;
		uint64_t                        tag;
		size_t                          k = 0, n, index = 0;

		n = read_varint(buf + pos, len - pos, &tag);
		if (n == 0) {
			snprintf(w->why, w->wlen,
			    "message %s%s: the message ends inside a tag",
			    desc->short_name, where);
			return false;
		}
		pos += n;
		f = field_by_id(desc, tag >> 3, &k);
		if (!tag_ok(w, desc, where, tag, f)) {
			return false;
		}
		if (f != NULL && k < PBWHY_FIELDS_MAX) {
			seen[k] = true;
			index   = count[k]++;
		}
		if (!walk_value(w, desc, where, f, index, (unsigned) (tag & 7),
		        buf, len, &pos, depth)) {
			return false;
		}
	}
	for (size_t i = 0; i < desc->n_fields && i < PBWHY_FIELDS_MAX; i++) {
		if (desc->fields[i].label == PROTOBUF_C_LABEL_REQUIRED &&
		    !seen[i]) {
			snprintf(w->why, w->wlen,
			    "message %s%s: missing required field %s",
			    desc->short_name, where, desc->fields[i].name);
			return false;
		}
	}
	return true;
}

void
tally_pbwhy(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len, char *why, size_t wlen)
{
	struct walk w = { why, wlen };

	if (walk_message(&w, desc, "", buf, len, 0)) {
		snprintf(why, wlen, "not a valid %s", desc->short_name);
	}
}
