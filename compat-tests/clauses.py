#!/usr/bin/env python3
"""Section inventory of the POP RFCs (compat-tests/README.md, "Coverage").

Reads rfcNNNN.txt for each RFC of issue 7 and writes one line per section
that states a requirement or defines a command or reply:

    RFC 1939 §5 The TRANSACTION State 3

The last field counts the requirement keywords (MUST, MUST NOT, SHALL,
SHOULD, SHOULD NOT, REQUIRED; "MUST NOT" counts once) in the section's own
text (up to its first subsection).  RFCs older than RFC 2119 (all below
2119) write them in any case, so there case does not matter; in the newer
ones only capitals count.  References, addresses and acknowledgements
are left out.  A section with
a count of 0 is listed because it defines a command or a reply ("Possible
responses", "Arguments:" or a command/reply summary).

Sections are named as the RFC numbers them (§6.7), headings at the left
margin.  RFC 918, 937, 1081, 1082 and 1225 number none: their top-level headings name them, spaces
turned into '-' (§The-AUTHORIZATION-State).  The C runner reads only the
output, so it needs no RFC files.

usage: clauses.py [--rfc-dir DIR] [--out FILE]
"""
import argparse
import os
import re
import sys

RFCS = [918, 937, 1081, 1082, 1225, 1460, 1725, 1939, 1734, 2449, 2595,
        3206, 5034, 6856]

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RFC_DIRS = ['/work/shared/rfc',
                    os.path.join(HERE, '..', '..', 'shared', 'rfc')]

NUMBERED = re.compile(r'^(\d{1,2}(?:\.\d+)*)\.? {1,4}([A-Z"][^\s].*?)\s*$')
UNNUMBERED = re.compile(r'^([A-Z][A-Za-z0-9 ,/-]+?)\s*$')
UPPER = re.compile(r'\b(MUST(?: NOT)?|SHALL(?: NOT)?|SHOULD(?: NOT)?|'
                   r'REQUIRED)\b')
ANYCASE = re.compile(UPPER.pattern, re.I)
BACKMATTER = re.compile(r"(Normative |Informative )?References|"
                        r"Authors?'s? Address|Acknowledge?ments?|"
                        r"Full Copyright", re.I)
DEFINES = re.compile(r'possible responses|^\s+arguments:|^\s+added commands:|'
                     r'^\s+capa tag:|'
                     r'summary of commands|^\s+commands\s*$', re.I | re.M)


def page_noise(line, rfc):
    """Page footers and headers, and the running title."""
    s = line.strip()
    return (re.search(r'\[Page \d+\]$', s) is not None or
            re.match(r'^RFC %d\b' % rfc, s) is not None or
            (s.startswith('Post Office Protocol') and
             s.endswith('RFC %d' % rfc)) or '\f' in line)


def sections(rfc, text):
    # Drop page footers and headers with the blank lines around them, so
    # a paragraph split by a page break reads as one.
    lines = []
    for ln in text.split('\n'):
        if page_noise(ln, rfc):
            while lines and lines[-1] is not None and not lines[-1].strip():
                lines.pop()
            if not lines or lines[-1] is not None:
                lines.append(None)
        elif ln.strip() or (lines and lines[-1] is not None):
            lines.append(ln)
    lines = [ln for ln in lines if ln is not None]
    heading = NUMBERED
    numbered = sum(1 for ln in lines if heading.match(ln)
                   and '....' not in ln) >= 3
    found = []          # [id, title, [lines]]
    for ln in lines:
        m = heading.match(ln) if numbered else None
        if m and '....' not in ln and not re.search(r'\s\d+$', ln):
            found.append([m.group(1), m.group(2), []])
            continue
        if not numbered:
            m = UNNUMBERED.match(ln)
            if m and len(m.group(1)) < 60 and not ln.startswith(' '):
                t = m.group(1)
                if t.upper() != t and t not in ('Post Office Protocol',):
                    found.append([t.replace(' ', '-'), t, []])
                    continue
        if found:
            found[-1][2].append(ln)
    # Keep the first heading of each id (contents lines end in a page
    # number and are not headings).
    seen = {}
    for s in found:
        seen.setdefault(s[0], s)
    out = []
    for s in found:
        if seen[s[0]] is s:
            out.append((s[0], s[1], '\n'.join(s[2])))
    return out


# RFC 918 and 937 list their commands and replies in a summary table, not
# in "Arguments:" blocks; these are their forms, by hand (ids are the
# command, or a word for a reply form).
TABLE_FORMS = {
    918: ('Definitions-of-Commands-and-Replies', [
        ('USER', 'USER name'), ('PASS', 'PASS password'),
        ('RETR', 'RETR mailbox'), ('RDEL', 'RDEL mailbox'),
        ('RCEV', 'RCEV'), ('RCVD', 'RCVD'), ('QUIT', 'QUIT'),
        ('NOOP', 'NOOP'), ('RSET', 'RSET'),
        ('OK', 'reply +OK'), ('ERROR', 'reply -Error'),
        ('COUNT', 'reply #xxx')]),
    937: ('Definitions-of-Commands-and-Replies', [
        ('HELO', 'HELO user password'), ('FOLD', 'FOLD mailbox'),
        ('READ', 'READ [n]'), ('RETR', 'RETR'), ('ACKS', 'ACKS'),
        ('ACKD', 'ACKD'), ('NACK', 'NACK'), ('QUIT', 'QUIT'),
        ('GREETING', 'greeting + POP2 host'), ('OK', 'reply + OK'),
        ('ERROR', 'reply - Error'), ('COUNT', 'reply #xxx'),
        ('LENGTH', 'reply =yyy')]),
}

# A command definition: "      LIST [msg]" followed by an "Arguments:"
# line (the POP3 RFCs and their extensions).
FORM = re.compile(r'^ {3,12}([A-Z][A-Z0-9]{2,7})((?: [A-Z][A-Z-]+)*)'
                  r'((?: [a-z\[][^ ]*)*)\s*$')
SENTENCE_END = re.compile(r'(?<=[.!?])["\')]?\s+(?=[A-Z"(])')
ABBREV = re.compile(r'(\be\.g|\bi\.e|\betc|\bcf|\bvs|\bSec|\bNo)\.$', re.I)


def forms(body):
    """Commands an "Arguments:" block or an "Added Commands:" line (RFC
    2449 §7's template) defines: [(id, syntax)]."""
    out, prev = [], None
    for ln in body.split('\n'):
        if prev is not None and re.match(r'\s+Added Commands:\s*$', prev,
                                         re.I):
            for w in re.findall(r'[A-Z][A-Z0-9]{2,7}', ln):
                out.append((w, w))
        if re.search(r'\bArguments?:', ln) and prev is not None:
            m = FORM.match(prev)
            if m and 'tag' not in prev:
                words = [m.group(1)] + m.group(2).split()
                out.append(('-'.join(words), prev.strip()))
        if ln.strip():
            prev = ln
    return out


def sentences(body):
    """The body's prose as sentences, paragraph by paragraph (whitespace
    collapsed); a command's "Arguments:" or "Restrictions:" line and an
    example dialogue line are paragraphs of their own."""
    paras, cur = [], []
    for ln in body.split('\n'):
        field = re.match(r'\s*(Arguments|Restrictions|Discussion|Possible '
                         r'Responses|Examples?|[CS]):', ln)
        if not ln.strip() or field:
            if cur:
                paras.append(cur)
            cur = [ln] if field else []
        else:
            cur.append(ln)
    if cur:
        paras.append(cur)
    parts = []
    for para in paras:
        text = ' '.join(' '.join(para).split())
        acc = ''
        for piece in SENTENCE_END.split(text):
            acc = (acc + ' ' + piece).strip() if acc else piece
            if ABBREV.search(acc):
                continue
            parts.append(acc)
            acc = ''
        if acc:
            parts.append(acc)
    return parts


def excerpt(s, limit=160):
    s = s.replace('|', '/')
    return s if len(s) <= limit else s[:limit - 1].rstrip() + '…'


def inventory(rfc_dir):
    rows = []
    for rfc in RFCS:
        path = os.path.join(rfc_dir, 'rfc%d.txt' % rfc)
        with open(path, encoding='latin-1') as f:
            text = f.read()
        secs = sections(rfc, text)
        kw = UPPER if rfc > 2119 else ANYCASE
        for sid, title, body in secs:
            if BACKMATTER.match(title):
                continue
            n = len(kw.findall(body))
            if not (n or DEFINES.search(body) or
                    re.search(r'Response Code$', title, re.I) or
                    TABLE_FORMS.get(rfc, ('',))[0] == sid):
                continue
            rows.append('RFC %d §%s %s %d' % (rfc, sid, title, n))
            k = 0
            for s in sentences(body):
                # "(required)" after an argument belongs to the command's
                # form (its own line below), not a requirement sentence.
                found = kw.findall(re.sub(r'\((both )?required\)', '', s))
                if found:
                    k += 1
                    rows.append('RFC %d §%s #%d %s: %s' % (
                        rfc, sid, k, found[0].upper(), excerpt(s)))
            seen = set()
            table = TABLE_FORMS.get(rfc)
            fl = table[1] if table and table[0] == sid else forms(body)
            for fid, syntax in fl:
                if fid in seen:
                    continue
                seen.add(fid)
                rows.append('RFC %d §%s %s: %s' % (rfc, sid, fid, syntax))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rfc-dir')
    ap.add_argument('--out', default=os.path.join(HERE, 'clauses.txt'))
    a = ap.parse_args()
    rfc_dir = a.rfc_dir
    if rfc_dir is None:
        rfc_dir = next((d for d in DEFAULT_RFC_DIRS
                        if os.path.exists(os.path.join(d, 'rfc1939.txt'))),
                       None)
        if rfc_dir is None:
            sys.exit('clauses.py: no RFC directory; pass --rfc-dir')
    rows = inventory(rfc_dir)
    with open(a.out, 'w', encoding='utf-8') as f:
        f.write('# Generated by compat-tests/clauses.py; do not edit.\n')
        f.write('# RFC N §SECTION TITLE KEYWORD-COUNT\n')
        for r in rows:
            f.write(r + '\n')


if __name__ == '__main__':
    main()
