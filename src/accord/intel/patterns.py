"""STIX 2.1 patterns checked without ANTLR: stix2-patterns' verdict, a hundred times faster.

`pattern_error(pattern)` is None exactly when stix2-patterns 2.1
(`run_validator(pattern, stix_version="2.1")`) finds nothing wrong, and otherwise a short
reason. It does what that library does:

- its lexer's tokens (longest match, the earlier rule on a tie, `/* */` and `//` comments
  and the grammar's own white-space characters skipped), read by one regular expression;
- its grammar, run as a table-driven automaton with two parenthesis counters: the grammar
  nests nothing but parentheses, and operator precedence decides nothing the library checks;
- its checks after parsing: a hash value compared under `hashes` must suit the hash type
  (as the library's expressions read: `$` accepts one trailing newline, MD6 is anchored
  only at the start), a qualifier type applied twice directly to a `[...]` observation is
  an error, and the pattern must begin with `[` after any `(` and white space.

Most patterns are written in a few usual shapes; one regular expression accepts those
before the automaton is needed (`general_pattern_error` is the automaton alone).

Where the library raises instead of answering, we refuse: a negative list index
(`[file:x[-1] = 1]`) and a numeric index ending a path through `hashes`
(`[file:hashes[0] = 'x']`) make it raise AttributeError. It also raises RecursionError on
very long or deep patterns: near 980 ANDed terms, which we accept, and 240 nested
parentheses; we refuse nesting deeper than `MAX_DEPTH`, where it never answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["MAX_DEPTH", "general_pattern_error", "pattern_error"]

# Token kinds: the terminals of the grammar that the automaton tells apart.
(
    EOF,
    BAD,  # a token no grammar rule accepts: a stray quote, +, -, ^, /, LAST, or any other character
    INT_POS,
    INT_NEG,
    FLOAT_POS,
    FLOAT_NEG,
    HEX,
    BINARY,
    STRING,
    BOOL,
    TIMESTAMP,
    AND,
    OR,
    NOT,
    FOLLOWEDBY,
    LIKE,
    MATCHES,
    ISSUPERSET,
    ISSUBSET,
    EXISTS,
    IN,
    START,
    STOP,
    SECONDS,
    WITHIN,
    REPEATS,
    TIMES,
    IDENT,
    IDENT_HYPHEN,
    EQ,
    NEQ,
    LT,
    LE,
    GT,
    GE,
    COLON,
    DOT,
    COMMA,
    LPAREN,
    RPAREN,
    LBRACK,
    RBRACK,
    ASTERISK,
) = range(43)
_KINDS = 43

_WS = "\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # the lexer's WS rule
_B64 = "[A-Za-z0-9+/]"
_TIMESTAMP = (
    r"t'[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z'"
)
_HEX = r"h'(?:[0-9A-Fa-f]{2})*+'"
_BINARY = rf"b'(?:{_B64}{{4}})*(?:{_B64}{{4}}|{_B64}{{3}}=|{_B64}{{2}}==)'"
_STRING = r"'[^'\\]*+(?:\\['\\][^'\\]*+)*+'"  # only \' and \\ are escapes
_FLOAT = r"[+-]?[0-9]*+\.[0-9]++"
_INT = r"[+-]?(?:0|[1-9][0-9]*+)"

# One match per token; the group is the token, '' at the end. Alternatives are ordered so
# that the first one matching is the lexer's longest match.
_TOKEN = re.compile(
    rf"(?:[{_WS}]+|/\*(?s:.*?)\*/|//[^\r\n]*)*+("
    rf"{_TIMESTAMP}|{_HEX}|{_BINARY}|[A-Za-z_][A-Za-z0-9_-]*+|{_STRING}|{_FLOAT}|{_INT}"
    r"|==?|!=|<[>=]?|>=?"
    r"|/\*(?s:.*)"  # an unclosed comment: one bad token, so that scanning stays linear
    r"|(?s:.)"
    r"|\Z)"
)
_scan: Callable[[str], list[str]] = _TOKEN.findall

_FIXED = {
    "": EOF,
    "AND": AND,
    "OR": OR,
    "NOT": NOT,
    "FOLLOWEDBY": FOLLOWEDBY,
    "LIKE": LIKE,
    "MATCHES": MATCHES,
    "ISSUPERSET": ISSUPERSET,
    "ISSUBSET": ISSUBSET,
    "EXISTS": EXISTS,
    "IN": IN,
    "START": START,
    "STOP": STOP,
    "SECONDS": SECONDS,
    "WITHIN": WITHIN,
    "REPEATS": REPEATS,
    "TIMES": TIMES,
    "LAST": BAD,  # a keyword of the lexer that no parser rule uses
    "true": BOOL,
    "false": BOOL,
    "=": EQ,
    "==": EQ,
    "!=": NEQ,
    "<>": NEQ,
    "<": LT,
    "<=": LE,
    ">": GT,
    ">=": GE,
    ":": COLON,
    ".": DOT,
    ",": COMMA,
    "(": LPAREN,
    ")": RPAREN,
    "[": LBRACK,
    "]": RBRACK,
    "*": ASTERISK,
    "'": BAD,
    "+": BAD,
    "-": BAD,
}
_PREFIXED = {"t": TIMESTAMP, "h": HEX, "b": BINARY}
_IDENT_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NUMBER_START = frozenset("0123456789+.")


def _classify(token: str) -> int:
    """The kind of a token that is not in `_FIXED`."""
    first = token[0]
    if first == "'":
        return STRING
    if token[1:2] == "'":
        return _PREFIXED.get(first, BAD)
    if first in _IDENT_START:
        return IDENT_HYPHEN if "-" in token else IDENT
    if first == "-":
        return FLOAT_NEG if "." in token else INT_NEG
    if first in _NUMBER_START:
        return FLOAT_POS if "." in token else INT_POS
    return BAD


# Automaton states. E_* walk the object path of EXISTS, C_* that of a comparison.
(
    OBSERVATION,
    COMPARISON,
    NOT_EXISTS,
    E_TYPE,
    E_COLON,
    E_FIRST,
    E_STEPS,
    E_KEY,
    E_INDEX,
    E_INDEX_END,
    C_COLON,
    C_FIRST,
    C_STEPS,
    C_KEY,
    C_INDEX,
    C_INDEX_END,
    OPERATOR,
    PRIMITIVE_VALUE,
    ORDERABLE_VALUE,
    STRING_VALUE,
    SET_OPEN,
    SET_FIRST,
    SET_NEXT,
    SET_ITEM,
    COMPARISON_END,
    OBSERVATION_END,
    START_TIME,
    STOP_KEYWORD,
    STOP_TIME,
    WITHIN_NUMBER,
    SECONDS_KEYWORD,
    REPEATS_NUMBER,
    TIMES_KEYWORD,
    DONE,
) = range(34)

# Actions on a transition, besides changing state.
(
    _NONE,
    _PATH,  # a comparison's object path starts here
    _OPERATOR,  # ... and ended just before this token
    _VALUE,  # a comparison's value is this token
    _SET_OPEN,
    _SET_CLOSE,  # a comparison's value is the set from _SET_OPEN to here
    _OPEN_COMPARISON,
    _CLOSE_COMPARISON,
    _CLOSE_BRACKET,
    _OPEN_OBSERVATION,
    _CLOSE_OBSERVATION,
    _START,  # qualifiers: 1 << action is the qualifier's bit
    _WITHIN,
    _REPEATS,
    _EOF,
) = range(15)

_ORDERABLE = (INT_POS, INT_NEG, FLOAT_POS, FLOAT_NEG, HEX, BINARY, STRING, TIMESTAMP)
_PRIMITIVE = (*_ORDERABLE, BOOL)
_COMPARISON_END_MOVES: list[tuple[tuple[int, ...], int, int]] = [
    ((AND, OR), COMPARISON, _NONE),
    ((RPAREN,), COMPARISON_END, _CLOSE_COMPARISON),
    ((RBRACK,), OBSERVATION_END, _CLOSE_BRACKET),
]
_OPERATOR_MOVES: list[tuple[tuple[int, ...], int, int]] = [
    ((EQ, NEQ), PRIMITIVE_VALUE, _NONE),
    ((LT, LE, GT, GE), ORDERABLE_VALUE, _NONE),
    ((IN,), SET_OPEN, _NONE),
    ((LIKE, MATCHES, ISSUBSET, ISSUPERSET), STRING_VALUE, _NONE),
]

# state: [(kinds, next state, action)]
_MOVES: dict[int, list[tuple[tuple[int, ...], int, int]]] = {
    OBSERVATION: [((LBRACK,), COMPARISON, _NONE), ((LPAREN,), OBSERVATION, _OPEN_OBSERVATION)],
    COMPARISON: [
        ((LPAREN,), COMPARISON, _OPEN_COMPARISON),
        ((NOT,), NOT_EXISTS, _NONE),
        ((EXISTS,), E_TYPE, _NONE),
        ((IDENT, IDENT_HYPHEN), C_COLON, _PATH),
    ],
    NOT_EXISTS: [((EXISTS,), E_TYPE, _NONE)],
    E_TYPE: [((IDENT, IDENT_HYPHEN), E_COLON, _NONE)],
    E_COLON: [((COLON,), E_FIRST, _NONE)],
    E_FIRST: [((IDENT, STRING), E_STEPS, _NONE)],
    E_STEPS: [
        ((DOT,), E_KEY, _NONE),
        ((LBRACK,), E_INDEX, _NONE),
        *_COMPARISON_END_MOVES,
    ],
    E_KEY: [((IDENT, STRING), E_STEPS, _NONE)],
    E_INDEX: [((INT_POS, ASTERISK), E_INDEX_END, _NONE)],
    E_INDEX_END: [((RBRACK,), E_STEPS, _NONE)],
    C_COLON: [((COLON,), C_FIRST, _NONE)],
    C_FIRST: [((IDENT, STRING), C_STEPS, _NONE)],
    C_STEPS: [
        ((DOT,), C_KEY, _NONE),
        ((LBRACK,), C_INDEX, _NONE),
        ((NOT,), OPERATOR, _OPERATOR),
        *[(kinds, target, _OPERATOR) for kinds, target, _ in _OPERATOR_MOVES],
    ],
    C_KEY: [((IDENT, STRING), C_STEPS, _NONE)],
    C_INDEX: [((INT_POS, ASTERISK), C_INDEX_END, _NONE)],
    C_INDEX_END: [((RBRACK,), C_STEPS, _NONE)],
    OPERATOR: _OPERATOR_MOVES,
    PRIMITIVE_VALUE: [(_PRIMITIVE, COMPARISON_END, _VALUE)],
    ORDERABLE_VALUE: [(_ORDERABLE, COMPARISON_END, _VALUE)],
    STRING_VALUE: [((STRING,), COMPARISON_END, _VALUE)],
    SET_OPEN: [((LPAREN,), SET_FIRST, _SET_OPEN)],
    SET_FIRST: [((RPAREN,), COMPARISON_END, _SET_CLOSE), (_PRIMITIVE, SET_NEXT, _NONE)],
    SET_NEXT: [((COMMA,), SET_ITEM, _NONE), ((RPAREN,), COMPARISON_END, _SET_CLOSE)],
    SET_ITEM: [(_PRIMITIVE, SET_NEXT, _NONE)],
    COMPARISON_END: _COMPARISON_END_MOVES,
    OBSERVATION_END: [
        ((AND, OR, FOLLOWEDBY), OBSERVATION, _NONE),
        ((RPAREN,), OBSERVATION_END, _CLOSE_OBSERVATION),
        ((START,), START_TIME, _START),
        ((WITHIN,), WITHIN_NUMBER, _WITHIN),
        ((REPEATS,), REPEATS_NUMBER, _REPEATS),
        ((EOF,), DONE, _EOF),
    ],
    START_TIME: [((TIMESTAMP,), STOP_KEYWORD, _NONE)],
    STOP_KEYWORD: [((STOP,), STOP_TIME, _NONE)],
    STOP_TIME: [((TIMESTAMP,), OBSERVATION_END, _NONE)],
    WITHIN_NUMBER: [((INT_POS, FLOAT_POS), SECONDS_KEYWORD, _NONE)],
    SECONDS_KEYWORD: [((SECONDS,), OBSERVATION_END, _NONE)],
    REPEATS_NUMBER: [((INT_POS,), TIMES_KEYWORD, _NONE)],
    TIMES_KEYWORD: [((TIMES,), OBSERVATION_END, _NONE)],
    DONE: [((EOF,), DONE, _NONE)],  # white space at the end gives a second, empty match
}

_EXPECTED = {
    OBSERVATION: "'[' or '('",
    COMPARISON: "an object path, EXISTS, NOT EXISTS or '('",
    NOT_EXISTS: "EXISTS",
    E_TYPE: "an object type",
    E_COLON: "':'",
    E_FIRST: "a property name",
    E_STEPS: "'.', '[', AND, OR, ')' or ']'",
    E_KEY: "a property name",
    E_INDEX: "a list index (a number or *)",
    E_INDEX_END: "']'",
    C_COLON: "':'",
    C_FIRST: "a property name",
    C_STEPS: "'.', '[', NOT or a comparison operator",
    C_KEY: "a property name",
    C_INDEX: "a list index (a number or *)",
    C_INDEX_END: "']'",
    OPERATOR: "a comparison operator",
    PRIMITIVE_VALUE: "a literal value",
    ORDERABLE_VALUE: "a literal value other than true or false",
    STRING_VALUE: "a quoted string",
    SET_OPEN: "'('",
    SET_FIRST: "a literal value or ')'",
    SET_NEXT: "',' or ')'",
    SET_ITEM: "a literal value",
    COMPARISON_END: "AND, OR, ')' or ']'",
    OBSERVATION_END: "AND, OR, FOLLOWEDBY, a qualifier, ')' or the end",
    START_TIME: "a timestamp t'...'",
    STOP_KEYWORD: "STOP",
    STOP_TIME: "a timestamp t'...'",
    WITHIN_NUMBER: "an unsigned number",
    SECONDS_KEYWORD: "SECONDS",
    REPEATS_NUMBER: "an unsigned whole number",
    TIMES_KEYWORD: "TIMES",
    DONE: "nothing more",
}


def _build_table() -> list[list[int]]:
    """table[state][kind] = next state << 4 | action, or -1 where the grammar says no."""
    table = [[-1] * _KINDS for _ in range(len(_MOVES))]
    for state, moves in _MOVES.items():
        for kinds, target, action in moves:
            for kind in kinds:
                table[state][kind] = target << 4 | action
    return table


_TABLE = _build_table()


def _hex_digits(count: int) -> Callable[[str], object]:
    return re.compile(rf"[0-9A-Fa-f]{{{count}}}\n?\Z").match


# Keyed by the hash name upper-cased without '-' or quotes, as the library looks them up.
_HASH_CHECKS: dict[str, Callable[[str], object]] = {
    "MD5": _hex_digits(32),
    # the library's MD6 expression has its anchors on the first and last alternatives only
    "MD6": re.compile(r"[0-9A-Fa-f]{32}|\n    [0-9A-Fa-f]{64}").match,
    "RIPEMD160": _hex_digits(40),
    "SHA1": _hex_digits(40),
    "SHA224": _hex_digits(56),
    "SHA256": _hex_digits(64),
    "SHA384": _hex_digits(96),
    "SHA512": _hex_digits(128),
    "SHA3224": _hex_digits(56),
    "SHA3256": _hex_digits(64),
    "SHA3384": _hex_digits(96),
    "SHA3512": _hex_digits(128),
    "SSDEEP": re.compile(r"[A-Za-z0-9/+:.]{1,128}\n?\Z").match,
    "WHIRLPOOL": _hex_digits(128),
}


def _unquote(token: str) -> str:
    """A quoted path component as the library reads it (its two replacements, in its order)."""
    return token[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _hash_error(path: list[str], value: str) -> str | None:
    """The library's hash check of one comparison; `path` is its tokens after the colon."""
    if "hashes" not in path and "'hashes'" not in path:
        return None
    last = path[-1]
    if last == "]":
        if path[-2] == "*":
            return None
        return "a path through hashes cannot end in a numeric list index"
    selector = _unquote(last) if last[0] == "'" else last
    check = _HASH_CHECKS.get(selector.upper().replace("-", "").replace("'", ""))
    if check is None or check(value.replace("'", "")):
        return None
    return f"{value} is not a valid {selector} hash"


def _starts_with_bracket(pattern: str) -> bool:
    """The library's first check: '[' after any '(' and white space."""
    for char in pattern:
        if char != "(" and not char.isspace():
            return char == "["
    return False


def _offset(pattern: str, index: int) -> int:
    """Where token `index` starts (scanned again: only an error message needs it)."""
    for number, match in enumerate(_TOKEN.finditer(pattern)):
        if number == index:
            return match.start(1)
    return len(pattern)


def _unexpected(pattern: str, tokens: list[str], index: int, state: int, kind: int) -> str:
    token = tokens[index]
    where = f"at character {_offset(pattern, index)}"
    if kind == INT_NEG and state in (E_INDEX, C_INDEX):
        return f"negative list index {token} {where} is not supported"
    if kind == EOF:
        return f"pattern ends early; expected {_EXPECTED[state]}"
    shown = token if len(token) <= 40 else token[:37] + "..."
    return f"unexpected {shown!r} {where}; expected {_EXPECTED[state]}"


# Deeper than stix2-patterns can parse with Python's default recursion limit (it fails near
# 240 nested observations or 320 nested comparisons), so refusing here contradicts no verdict.
MAX_DEPTH = 400
_TOO_DEEP = f"parentheses are nested more than {MAX_DEPTH} deep"
_QUALIFIER_NAMES = {_START: "START/STOP", _WITHIN: "WITHIN", _REPEATS: "REPEATS"}


def general_pattern_error(pattern: str) -> str | None:
    """`pattern_error` without its shortcut for the usual shapes of pattern."""
    if pattern[:1] != "[" and not _starts_with_bracket(pattern):
        return "a pattern must start with '[' (after any '(')"
    tokens = _scan(pattern)
    table = _TABLE
    fixed = _FIXED
    state = OBSERVATION
    observation_depth = comparison_depth = 0
    qualifiers = -1  # bits of the qualifiers on the current [...]; -1 after a (...)
    path_start = path_end = set_start = 0
    for index, token in enumerate(tokens):
        kind = fixed.get(token)
        if kind is None:
            kind = _classify(token)
        move = table[state][kind]
        if move < 0:
            return _unexpected(pattern, tokens, index, state, kind)
        state = move >> 4
        action = move & 15
        if not action:
            continue
        if action == _PATH:
            path_start = index
        elif action == _OPERATOR:
            path_end = index
        elif action in (_VALUE, _SET_CLOSE):
            path = tokens[path_start + 2 : path_end]  # the type and colon are no components
            if "hashes" in path or "'hashes'" in path:
                value = token if action == _VALUE else "".join(tokens[set_start : index + 1])
                problem = _hash_error(path, value)
                if problem:
                    return problem
        elif action == _SET_OPEN:
            set_start = index
        elif action == _CLOSE_BRACKET:
            if comparison_depth:
                return f"']' at character {_offset(pattern, index)} leaves a '(' open"
            qualifiers = 0
        elif action == _OPEN_COMPARISON:
            comparison_depth += 1
            if observation_depth + comparison_depth > MAX_DEPTH:
                return _TOO_DEEP
        elif action == _CLOSE_COMPARISON:
            if not comparison_depth:
                return f"')' at character {_offset(pattern, index)} closes no '('"
            comparison_depth -= 1
        elif action == _OPEN_OBSERVATION:
            observation_depth += 1
            if observation_depth > MAX_DEPTH:
                return _TOO_DEEP
        elif action == _CLOSE_OBSERVATION:
            if not observation_depth:
                return f"')' at character {_offset(pattern, index)} closes no '('"
            observation_depth -= 1
            qualifiers = -1
        elif action == _EOF:
            if observation_depth:
                return "pattern ends with a '(' still open"
        elif qualifiers >= 0:  # the rest are qualifiers, checked only on a [...] observation
            bit = 1 << action
            if qualifiers & bit:
                return f"{_QUALIFIER_NAMES[action]} is applied twice to one observation"
            qualifiers |= bit
    return None


# The shortcut: one regular expression for the usual shapes (single spaces, no parentheses
# or comments, each qualifier at most once in a fixed order). What it matches is valid
# unless a hash value is wrong; everything else goes through the automaton.
_U_KEYWORD = (
    "(?:AND|OR|NOT|FOLLOWEDBY|LIKE|MATCHES|ISSUPERSET|ISSUBSET|EXISTS|LAST|IN|START|STOP"
    "|SECONDS|WITHIN|REPEATS|TIMES|true|false)"
)
_U_TYPE = rf"(?!{_U_KEYWORD}:)[A-Za-z_][A-Za-z0-9_-]*+"
# a name followed by '-' would be one IdentifierWithHyphen token, which no path step accepts
_U_NAME = rf"(?:(?!{_U_KEYWORD}(?![A-Za-z0-9_]))[A-Za-z_][A-Za-z0-9_]*+(?!-)|{_STRING})"
_U_PATH = rf"{_U_TYPE}:{_U_NAME}(?:\.{_U_NAME}|\[(?:\+?(?:0|[1-9][0-9]*+)|\*)\])*+"
_U_ORDERABLE = rf"{_STRING}|{_FLOAT}|{_INT}|{_TIMESTAMP}|{_HEX}|{_BINARY}"
_U_PRIMITIVE = rf"{_U_ORDERABLE}|(?:true|false)(?![A-Za-z0-9_-])"
_U_SET = rf"\( *(?:(?:{_U_PRIMITIVE})(?: *, *(?:{_U_PRIMITIVE}))*+ *)?\)"
_U_TEST = (
    rf"{_U_PATH}(?: +NOT)?(?: *(?:!=|<>|==?) *(?:{_U_PRIMITIVE}) *"
    rf"| *(?:<=?|>=?) *(?:{_U_ORDERABLE}) *"
    rf"| +(?:LIKE|MATCHES|ISSUBSET|ISSUPERSET) *{_STRING} *"
    rf"| +IN *{_U_SET} *)"
)
_U_POSITIVE = r"\+?(?:0|[1-9][0-9]*+)"
_U_OBSERVATION = (
    rf"\[ *{_U_TEST}(?:(?:AND|OR) +{_U_TEST})*+\]"
    rf"(?: +REPEATS +{_U_POSITIVE} +TIMES)?"
    rf"(?: +WITHIN +(?:\+?[0-9]*+\.[0-9]++|{_U_POSITIVE}) +SECONDS)?"
    rf"(?: +START +{_TIMESTAMP} +STOP +{_TIMESTAMP})?"
)
_USUAL = re.compile(rf"{_U_OBSERVATION}(?: +(?:AND|OR|FOLLOWEDBY) *{_U_OBSERVATION})*+ *").fullmatch
# Read again a pattern `_USUAL` matched: (path, value) of each comparison, ('', '') between.
_USUAL_TESTS = re.compile(
    rf" *(?:({_U_PATH})(?: +NOT)?"
    rf"(?: *(?:!=|<>|==?|<=?|>=?)| +(?:LIKE|MATCHES|ISSUBSET|ISSUPERSET|IN))"
    rf" *({_U_SET}|{_U_PRIMITIVE})"
    rf"|[][]|[A-Z]++|{_TIMESTAMP}|{_FLOAT}|{_INT})"
).findall


def _usual_hashes_ok(pattern: str) -> bool:
    for path, value in _USUAL_TESTS(pattern):
        # a set keeps its spaces here, unlike in the library: no set passes a hash check anyway
        if "hashes" in path:
            steps = _scan(path[path.index(":") + 1 :])
            steps.pop()  # the end
            if _hash_error(steps, value):
                return False
    return True


def pattern_error(pattern: str) -> str | None:
    """None if `pattern` is a valid STIX 2.1 pattern, else why not (stix2-patterns' verdict)."""
    if _USUAL(pattern) and ("hashes" not in pattern or _usual_hashes_ok(pattern)):
        return None
    return general_pattern_error(pattern)
