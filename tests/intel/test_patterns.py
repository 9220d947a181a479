"""`pattern_error` gives stix2-patterns 2.1's verdict, on its test corpus and on generated patterns.

The library is the oracle: a pattern is valid when `run_validator(pattern, "2.1")` returns no
errors. Where the library raises instead (a negative list index, a numeric index after
`hashes`, an empty pattern) we expect a refusal. Both entry points are checked: the public
`pattern_error` (with its regular-expression shortcut) and `general_pattern_error` (the
automaton alone).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2patterns.test.v20 import test_inspector as v20_inspector_tests
from stix2patterns.test.v20 import test_validator as v20_validator_tests
from stix2patterns.test.v21 import test_inspector as v21_inspector_tests
from stix2patterns.test.v21 import test_validator as v21_validator_tests
from stix2patterns.validator import run_validator

from accord.intel.patterns import MAX_DEPTH, general_pattern_error, pattern_error

T = TypeVar("T")

# How the library fails on inputs it cannot inspect: we refuse those patterns.
LIBRARY_CRASHES = (AttributeError, UnboundLocalError)


def library_accepts(pattern: str) -> bool:
    try:
        errors: list[str] = run_validator(pattern, stix_version="2.1")
    except LIBRARY_CRASHES:
        return False
    return not errors


def assert_agrees(pattern: str) -> None:
    expected = library_accepts(pattern)
    for check in (pattern_error, general_pattern_error):
        verdict = check(pattern)
        assert (verdict is None) == expected, (check.__name__, pattern, verdict)


def _library_corpus() -> list[str]:
    """Every pattern in stix2-patterns' own tests (2.1, and 2.0 as extra material)."""
    found: list[str] = []
    modules: list[Any] = [
        v21_validator_tests,
        v21_inspector_tests,
        v20_validator_tests,
        v20_inspector_tests,
    ]
    for module in modules:
        found += module.SPEC_CASES if hasattr(module, "SPEC_CASES") else []
        for name in dir(module):
            for mark in getattr(getattr(module, name), "pytestmark", []):
                if mark.name == "parametrize":
                    found += [c[0] if isinstance(c, tuple) else c for c in mark.args[1]]
    return list(dict.fromkeys(found))


LIBRARY_CORPUS = _library_corpus()

MD5 = "cead3f77f6cda6ec00f57d76c9a6879f"
SHA256 = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"

# Corners found while reading the library: lexing, its checks after parsing, its crashes.
CORNERS = [
    "[ipv4-addr:value = '198.51.100.7']",
    f"[file:hashes.'SHA-256' = '{SHA256}']",
    "[domain-name:value = 'x.example'] AND [url:value = 'http://x.example/a']",
    "",
    "   ",
    "((",
    "[file:name[-1] = 'x']",
    "[EXISTS file:name[-1]]",
    "[file:hashes[0] = 'x']",
    "[file:hashes[*] = 'x']",
    "[file:hashes.MD5[*] = 'x']",
    "[file:hashes.MD5[1] = 'x']",
    "/*c*/[a:b = 1]",
    "[a:b = 1] /*c*/",
    "[a:b = 1]//x",
    "[a:b = 1]\n//c\n",
    "[a:b = 1] /* unclosed",
    "[a:b = 1 /* x */ ]",
    "/*/*/*/*/*[a:b = 1]",
    "\u00a0[a:b = 1]",
    "\x1c[a:b = 1]",
    "[a:b = 1]\u205f",
    "[a:b = 1]\u200b",
    "[a:b = 'x\U0001f600']",
    "[abc-:x = 1]",
    "[a:b-c = 1]",
    "[AND-x:y = 1]",
    "[AND:y = 1]",
    "[a:IN = 1]",
    "[a:INx = 1]",
    "[a:true = 1]",
    "[t:t = t]",
    "[a:b = h'abc']",
    "[a:b=h'']",
    "[a:b = b'']",
    "[a:b = -05]",
    "[a:b = 1.]",
    "[a:b = 1.2.3]",
    "[a:b = 1AND c:d = 2]",
    "[a:b = trueAND c:d = 2]",
    "[a:b = 'x'AND c:d = 2]",
    "[a:b = 1]AND[c:d = 2]",
    "[a:b[+1] = 1]",
    "[a:b[01] = 1]",
    "[a:b = 1] WITHIN +5 SECONDS",
    "[a:b = 1] WITHIN 05 SECONDS",
    "[a:b = 1] REPEATS 0 TIMES",
    "[a:b IN ()]",
    "[a:b IN (1,)]",
    "[a:b NOT EXISTS c:d]",
    "[NOT EXISTS c:d]",
    "[a:b LIKE 'x' AND (EXISTS c:d)]",
    "([a:b = 1]",
    "[a:b = 1])",
    "[(a:b = 1]",
    "[a:b = 1)]",
    "[a:b = 1] WITHIN 1 SECONDS REPEATS 2 TIMES WITHIN 2 SECONDS",
    "([a:b = 1] WITHIN 1 SECONDS) WITHIN 2 SECONDS",
    "[a:b = 1] LAST",
    "[a:b = true]",
    "[a:b > true]",
    "[a:b = 'a\\x']",
    "[hashes:hashes = 'x']",
    "[x:'hashes'.md5 = 'x']",
    "[x:hashes.md5.x = 'x']",
    "[x:a.hashes.'MD5' = 'x']",
    "[x:hashes.'md\\'5' = 'x']",
    "[x:hashes.'md\\\\5' = 'x']",
    "[x:hashes.'\u017fha1' = 'zz']",
    f"[x:hashes.sha256 = 'a\\'{SHA256[2:]}']",
    f"[file:hashes.MD5 = '{MD5}\n']",
    f"[file:hashes.MD5 = '{MD5}\n\n']",
    f"[file:hashes.MD6 = '{MD5}zz']",
    "[file:hashes.MD6 = '\n    " + "a" * 64 + "']",
    "[file:hashes.MD5 = 12345678901234567890123456789012]",
    f"[file:hashes.MD5 = h'{MD5}']",
    f"[file:hashes.MD5 IN ('{MD5}')]",
    "[file:hashes.MD5 IN ()]",
    f"[file:hashes.MD5 NOT = '{MD5}1']",
    "[file:hashes.MD5 LIKE 'a']",
    f"[file:hashes.MD5 MATCHES '{MD5}']",
    "[file:hashes.SSDEEP = '3:abc']",
    "[file:hashes.SSDEEP = b'AAAA']",
    f"[file:hashes.'SHA-256' = '{SHA256.upper()}']",
    "[file:hashes.FOO = 'anything']",
    "[file:hashes.MD5 > 'x']",
    "[file:hashes.MD5 = 'x' OR file:name = 'x']",
    "[a:b = 1]\x00",
    "[a:b = 'x\\'']",
    "[a:b = '\\\\']",
    "[a:b='x'] AND [c:d='y'] FOLLOWEDBY [e:f='z'] OR [g:h='w']",
]


@pytest.mark.parametrize("pattern", LIBRARY_CORPUS)
def test_library_corpus_agrees(pattern: str) -> None:
    assert_agrees(pattern)


@pytest.mark.parametrize("pattern", CORNERS)
def test_corners_agree(pattern: str) -> None:
    assert_agrees(pattern)


def test_corpus_has_both_verdicts() -> None:
    verdicts = [pattern_error(p) is None for p in LIBRARY_CORPUS + CORNERS]
    assert len(LIBRARY_CORPUS) > 100
    assert 0.2 < sum(verdicts) / len(verdicts) < 0.8


def test_reasons_say_what_is_wrong() -> None:
    assert pattern_error("file:size = 1280") == "a pattern must start with '[' (after any '(')"
    assert pattern_error("[file:size = ]") == (
        "unexpected ']' at character 13; expected a literal value"
    )
    assert pattern_error("[file:size = 1") == "pattern ends early; expected AND, OR, ')' or ']'"
    assert pattern_error("[file:hashes.'SHA-256' = 'f00']") == "'f00' is not a valid SHA-256 hash"
    assert pattern_error("[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES") == (
        "REPEATS is applied twice to one observation"
    )
    assert (
        pattern_error("[a:b[-1] = 1]") == "negative list index -1 at character 5 is not supported"
    )
    assert pattern_error("([a:b = 1]") == "pattern ends with a '(' still open"


def test_long_patterns_are_accepted_and_deep_ones_refused_beyond_the_library() -> None:
    terms = 5000  # stix2-patterns raises RecursionError near 980 terms; the grammar accepts
    chain = "[" + " OR ".join([f"file:hashes.MD5 = '{MD5}'"] * terms) + "]"
    for pattern in (chain, " AND ".join(["[a:b = 1]"] * terms)):
        assert pattern_error(pattern) is None
        assert general_pattern_error(pattern) is None
    half = MAX_DEPTH // 2
    deepest = "(" * half + "[" + "(" * half + "a:b = 1" + ")" * half + "]" + ")" * half
    too_deep = "(" + deepest + ")"
    assert pattern_error(deepest) is None
    too_deep_reason = f"parentheses are nested more than {MAX_DEPTH} deep"
    assert pattern_error(too_deep) == too_deep_reason
    over = MAX_DEPTH + 1
    assert pattern_error("[" + "(" * over + "a:b = 1" + ")" * over + "]") == too_deep_reason
    assert pattern_error("(" * over + "[a:b = 1]" + ")" * over) == too_deep_reason
    with pytest.raises(RecursionError):  # so our limit contradicts none of its verdicts
        run_validator(deepest, stix_version="2.1")


# --- generated patterns -------------------------------------------------------------------
# A pattern is drafted as a list of pieces from the grammar's valid choices (hash values and
# qualifiers may still break the library's later checks), then spoiled 0 to 2 times by
# replacing, inserting or deleting a piece, then joined with drawn separators.

OBJECT_TYPES = ["file", "ipv4-addr", "domain-name", "url", "x-usb-device", "network-traffic"]
OBJECT_TYPES += ["x_custom", "a", "t", "h", "b", "ANDROID", "IN-x", "abc-", "_"]
NAMES = ["value", "name", "hashes", "size", "MD5", "t", "b", "h", "x1", "_y", "'SHA-256'"]
NAMES += ["'hashes'", "'a b'", "''", "'a\\'b'", "'a\\\\b'", "'ñ'"]
INDEXES = ["0", "12", "*", "+1"]
HASH_NAMES = ["MD5", "md5", "'SHA-256'", "SHA256", "'SHA-1'", "SHA1", "'SHA3-256'", "SSDEEP"]
HASH_NAMES += ["MD6", "WHIRLPOOL", "RIPEMD160", "'RIPEMD-160'", "'SHA-512'", "'SHA-224'"]
HASH_NAMES += [
    "'SHA-384'",
    "'SHA3-224'",
    "'SHA3-384'",
    "'SHA3-512'",
    "FOO",
    "'\u017fha1'",
    "'md\\'5'",
]
ORDERABLE = [
    "0", "7", "-3", "+5", "-0", "1.5", ".5", "-.5", "+2.0", "12345678901234567890123456789012",
    "'x'", "''", "'a\\'b'", "'a\\\\b'", "'\U0001f600'", "'a\nb'", "'%x_'",
    "h'ab'", "h''", "h'DEADbeef'", "b'AAAA'", "b'AAA='", "b'AA=='", "b'dGhpcyBpcyBhIHRlc3Q='",
    "t'2024-01-15T12:30:45Z'", "t'2016-06-01T01:30:00.123Z'", "t'2024-02-30T23:59:60Z'",
]  # fmt: skip
PRIMITIVE = [*ORDERABLE, "true", "false"]
STRINGS = ["'x'", "''", "'a\\'b'", "'^a.*$'", "'10.0.0.0/8'", "'%.exe'"]
STAMPS = ["t'2016-06-01T01:30:00.123Z'", "t'2016-06-01T02:20:00Z'", "t'2000-02-29T00:00:00Z'"]
SEPARATORS = [" "] * 20 + ["", "  ", "\t", "\n", "\r\n", "/* c */", "//x\n", "/**/", "\x0b"]
SEPARATORS += ["\x0c", "\x85", "\u00a0", "\u1680", "\u2003", "\u2028", "\u205f", "\u3000"]
EDGES = [""] * 16 + [" ", "\n", "\u00a0", "(", "/* c */", "\x1c", "\x1f", "\u180e", "]"]
HASH_LENGTHS = [32, 40, 56, 64, 96, 128, 31, 33, 0, 129]

# What spoils a draft: pieces the grammar refuses somewhere, and valid pieces out of place.
SPOILERS = [
    "007", "-05", "1.", "1.2.3", "'a\\b'", "'open", "'it''s'", "h'abc'", "h'zz'", "H'ab'",
    "b''", "b'A==='", "b'AAAAA'", "t'2024-13-01T00:00:00Z'", "t'2024-01-32T00:00:00Z'",
    "t'2024-01-01T24:00:00Z'", "t'2024-01-01T00:00:61Z'", "t'2024-01-01T00:00:00'",
    "t'2024-01-01T00:00:00.Z'", "T'2024-01-01T00:00:00Z'", "True", "'x", "+", "-", "--1",
    "1e5", "0x1f", "-1", "01", "a-b", "1x", "LAST", "x'y", "fi$le", "é", "=?", "=>", "!", "=<",
    "like", "and", "&&", "THEN", "followedby", "within", "HOURS", "ISSUPERSETT", "MATCH",
    "\x1c", "\u200b", "\x00", "/*", "'", "''", "\\", "^", "AND", "OR", "NOT", "IN", "EXISTS",
    "LIKE", "FOLLOWEDBY", "WITHIN", "REPEATS", "START", "STOP", "SECONDS", "TIMES", "true",
    "[", "]", "(", ")", ".", ":", ",", "*", "=", "<", "file", "value", "'x'", "5", "2.5",
    "t'2016-06-01T01:30:00Z'", "",
]  # fmt: skip


def pick(choices: Sequence[T]) -> st.SearchStrategy[T]:
    return st.sampled_from(choices)


# Strategies are built once: building one per draw costs more than the library's verdict.
OBJECT_TYPE = pick(OBJECT_TYPES)
NAME = pick(NAMES)
INDEX = pick(INDEXES)
HASH_NAME = pick(HASH_NAMES)
HASH_LENGTH = pick(HASH_LENGTHS)
HASH_PATH = pick([["hashes"], ["hashes"], ["'hashes'"], ["x", ".", "hashes"]])
HASH_INDEX = pick(["0", "*", "-1"])
ODD_HASH = pick(["'3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C'", "'\n    " + "a" * 64 + "'"])
ORDERABLE_VALUE = pick(ORDERABLE)
PRIMITIVE_VALUE = pick(PRIMITIVE)
STRING_VALUE = pick(STRINGS)
PRIMITIVE_LIST = st.lists(PRIMITIVE_VALUE, max_size=3)
EQUALITY = pick(["=", "==", "!=", "<>"])
ORDER = pick(["<", "<=", ">", ">="])
STRING_OPERATOR = pick(["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"])
MAYBE_NOT = pick([[], ["NOT"]])
TEST_JOIN = pick(["AND", "OR"])
OBSERVATION_JOIN = pick(["AND", "OR", "FOLLOWEDBY"])
FEW = pick([0, 0, 1, 1, 2])
QUALIFIER_COUNT = pick([0, 0, 0, 1, 1, 2, 3])
SPOIL_COUNT = pick([0, 0, 0, 0, 1, 1, 2])
SPOILER = pick(SPOILERS)
BOOL = st.booleans()
DIGIT = st.integers(0, 9)
SHAPE = st.integers(0, 11)
SEED = st.integers(0, 2**32)
WHERE = st.integers(0, 10**4)
QUALIFIER = pick(
    [
        ["WITHIN", pick(["5", "2.5", "+3", "0", "300"]), "SECONDS"],
        ["REPEATS", pick(["3", "+2", "0"]), "TIMES"],
        ["START", pick(STAMPS), "STOP", pick(STAMPS)],
    ]
)


def hash_value(draw: st.DrawFn) -> str:
    length = draw(HASH_LENGTH)
    digits = hashlib.sha512(str(draw(SEED)).encode()).hexdigest()[:length]
    variant = draw(DIGIT)
    if variant == 0:
        digits = digits.upper()
    elif variant == 1:
        digits += "\n"
    elif variant == 2 and digits:
        digits = digits[:-1] + "g"
    elif variant == 3:
        return draw(ODD_HASH)
    elif variant == 4:
        return draw(PRIMITIVE_VALUE)
    return f"'{digits}'"


def path(draw: st.DrawFn, tidy: bool, hashes: bool = False) -> list[str]:
    """An object path as pieces, or as one piece (as it is usually written)."""
    pieces = [draw(OBJECT_TYPE), ":"]
    if hashes:
        pieces += draw(HASH_PATH)
        pieces += [".", draw(HASH_NAME)] if draw(DIGIT) else ["[", draw(HASH_INDEX), "]"]
    else:
        pieces.append(draw(NAME))
        for _ in range(draw(FEW) + draw(FEW) // 2):
            pieces += [".", draw(NAME)] if draw(BOOL) else ["[", draw(INDEX), "]"]
    return ["".join(pieces)] if tidy or draw(BOOL) else pieces


def prop_test(draw: st.DrawFn, depth: int, tidy: bool) -> list[str]:
    shape = draw(SHAPE)
    if shape == 0 and depth < 3:
        return ["(", *comparison_expression(draw, depth + 1, tidy), ")"]
    if shape == 1:
        return [*draw(MAYBE_NOT), "EXISTS", *path(draw, tidy)]
    hashes = shape in (2, 3, 4)
    pieces = path(draw, tidy, hashes)
    if draw(DIGIT) == 0:
        pieces.append("NOT")
    operators = draw(DIGIT) % 4
    if operators == 0 or (hashes and operators == 1):
        pieces += [draw(EQUALITY), hash_value(draw) if hashes else draw(PRIMITIVE_VALUE)]
    elif operators == 1:
        pieces += [draw(ORDER), draw(ORDERABLE_VALUE)]
    elif operators == 2:
        pieces += [draw(STRING_OPERATOR), hash_value(draw) if hashes else draw(STRING_VALUE)]
    else:
        pieces += ["IN", "("]
        items = [hash_value(draw)] if hashes and draw(BOOL) else draw(PRIMITIVE_LIST)
        for n, item in enumerate(items):
            pieces += [",", item] if n else [item]
        pieces.append(")")
    return pieces


def comparison_expression(draw: st.DrawFn, depth: int, tidy: bool) -> list[str]:
    pieces = prop_test(draw, depth, tidy)
    for _ in range(draw(FEW)):
        pieces += [draw(TEST_JOIN), *prop_test(draw, depth, tidy)]
    return pieces


def observation(draw: st.DrawFn, depth: int, tidy: bool) -> list[str]:
    if depth < 3 and draw(DIGIT) < 2:
        pieces = ["(", *observation_expression(draw, depth + 1, tidy), ")"]
    else:
        pieces = ["[", *comparison_expression(draw, 0, tidy), "]"]
    for _ in range(draw(QUALIFIER_COUNT)):
        for part in draw(QUALIFIER):
            pieces.append(part if isinstance(part, str) else draw(part))
    return pieces


def observation_expression(draw: st.DrawFn, depth: int, tidy: bool) -> list[str]:
    pieces = observation(draw, depth, tidy)
    for _ in range(draw(FEW)):
        pieces += [draw(OBSERVATION_JOIN), *observation(draw, depth, tidy)]
    return pieces


@st.composite
def patterns(draw: st.DrawFn) -> str:
    tidy = draw(BOOL)  # written as people do: paths in one piece, single spaces
    pieces = observation_expression(draw, 0, tidy)
    for _ in range(draw(SPOIL_COUNT)):
        at = draw(WHERE) % (len(pieces) + 1)
        how = draw(DIGIT) % 3
        if how == 0 and at < len(pieces):
            del pieces[at]
        else:
            pieces[at : at + how] = [draw(SPOILER)]
    if not pieces:
        return ""
    if tidy:
        return " ".join(pieces)
    spacing = random.Random(draw(SEED))  # one draw, not one per gap
    text = pieces[0] + "".join(spacing.choice(SEPARATORS) + piece for piece in pieces[1:])
    return spacing.choice(EDGES) + text + spacing.choice(EDGES)


GENERATED = settings(
    max_examples=2500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@GENERATED
@given(patterns())
def test_generated_patterns_agree(pattern: str) -> None:
    assert_agrees(pattern)


# --- mutated valid patterns ---------------------------------------------------------------

SEEDS = [p for p in LIBRARY_CORPUS + CORNERS if library_accepts(p)]
_PIECES = re.compile(r"\s+|'(?:[^'\\]|\\.)*'|[\w-]+|.", re.DOTALL).findall
INSERTS: list[str] = [*"[]().,:'=!<>*+-/\\ \t\n_ahtbXZ019", "\u00a0", "\U0001f600", "\x00"]
TOKENS = ["AND", "OR", "NOT", "IN", "LIKE", "EXISTS", "WITHIN", "SECONDS", "REPEATS", "TIMES"]
TOKENS += ["FOLLOWEDBY", "START", "STOP", "true", "'x'", "1", "-1", "1.5", "h'ab'", "b'AAAA'"]
TOKENS += ["t'2016-06-01T01:30:00Z'", "file:name", "[", "]", "(", ")", "hashes", "/**/"]


def _mutate(text: str, operation: int, where: int, payload: int) -> str:
    if operation < 3:  # on one character: delete, insert, duplicate
        at = where % (len(text) + 1)
        if operation == 0:
            return text[:at] + text[at + 1 :]
        if operation == 1:
            return text[:at] + INSERTS[payload % len(INSERTS)] + text[at:]
        return text[:at] + text[at : at + 1] * 2 + text[at + 1 :]
    pieces: list[str] = _PIECES(text)
    at = where % len(pieces)
    if operation == 3:
        del pieces[at]
    elif operation == 4:
        pieces.insert(at, pieces[at])
    elif operation == 5:
        pieces.insert(at, TOKENS[payload % len(TOKENS)])
    else:
        pieces[at], pieces[at - 1] = pieces[at - 1], pieces[at]
    return "".join(pieces)


MUTATIONS = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 10**6), st.integers(0, 10**3)),
    min_size=1,
    max_size=3,
)


@GENERATED
@given(st.sampled_from(SEEDS), MUTATIONS)
def test_mutated_patterns_agree(seed: str, mutations: list[tuple[int, int, int]]) -> None:
    pattern = seed
    for operation, where, payload in mutations:
        pattern = _mutate(pattern, operation, where, payload)
    assert_agrees(pattern)


def _share_valid(
    strategy: st.SearchStrategy[str], count: int, check: Callable[[str], bool]
) -> float:
    found: list[bool] = []

    @settings(max_examples=count, deadline=None, database=None)
    @given(strategy)
    def collect(pattern: str) -> None:
        found.append(check(pattern))

    collect()
    return sum(found) / len(found)


def test_generator_makes_valid_and_invalid_patterns() -> None:
    # the differential tests above mean little if nearly every pattern is refused
    share = _share_valid(patterns(), 300, lambda p: pattern_error(p) is None)
    assert 0.1 < share < 0.9
