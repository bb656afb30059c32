"""The quiz bank: plain-text sources, their encoded form, and answer checking.

Authors write one JSON file per chapter in ``exercises/source/quizzes/``::

    {"chapter": "ch02",
     "questions": [
       {"id": "q1",
        "source": "Backpropagation and Neural Network Training: ...",   (optional)
        "kind": "reasoning",                                            (optional)
        "question": "Markdown text of the question",
        "options": [
          {"text": "option shown to the learner", "correct": false,
           "explanation": "why this option is right or wrong"},
          ... four options, exactly one with "correct": true]}]}

``kind`` marks a question that asks for reasoning rather than recall: a
prediction or a number the learner computes, whose correct option's
explanation shows the computation. Every chapter has at least two (a test
over the bank says so). The only kind is ``"reasoning"``; leave the field out
for any other question.

``nnlib-build-exercises`` encodes them into ``nnlib/grading/quizbank.json``,
which the package ships. In the encoded bank, per question:

- ``answer`` is ``sha256("answer" | salt | chapter | id | text of the correct option)``;
- ``explanations[i]`` is option i's explanation XOR-ed with a key stream
  derived by sha256 from the salt and option i's text, then base64-encoded;
- ``salt`` is derived from the question's source text, so builds are
  deterministic.

Nothing in the bank or in a student notebook says which option is correct or
what an explanation says without deliberately running this decoding.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

FORMAT = 1
BANK_PATH = Path(__file__).with_name("quizbank.json")
N_OPTIONS = 4
KINDS = ("reasoning",)
_SEP = "\x1f"


def _digest(*parts: str) -> bytes:
    return hashlib.sha256(_SEP.join(parts).encode("utf-8")).digest()


def _keystream(key: bytes, n: int) -> bytes:
    blocks = (hashlib.sha256(key + i.to_bytes(4, "big")).digest() for i in range(n // 32 + 1))
    return b"".join(blocks)[:n]


def _xor(data: bytes, key: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, _keystream(key, len(data)), strict=True))


def _answer_hash(salt: str, chapter: str, qid: str, option: str) -> str:
    return _digest("answer", salt, chapter, qid, option).hex()


def _explain_key(salt: str, chapter: str, qid: str, index: int, option: str) -> bytes:
    return _digest("explain", salt, chapter, qid, str(index), option)


# ---------------------------------------------------------------- sources


def validate_source(src: Any, where: str = "quiz source") -> list[str]:
    """Problems with one chapter's plain-text quiz source (empty list = fine)."""
    if not isinstance(src, dict) or not isinstance(src.get("chapter"), str):
        return [f"{where}: expected an object with a 'chapter' string"]
    errors = []
    seen = set()
    for n, q in enumerate(src.get("questions", [])):
        label = f"{where} question {q.get('id', n) if isinstance(q, dict) else n}"
        if not isinstance(q, dict):
            errors.append(f"{label}: not an object")
            continue
        for key in ("id", "question"):
            if not isinstance(q.get(key), str) or not q[key].strip():
                errors.append(f"{label}: missing {key!r}")
        if "kind" in q and q["kind"] not in KINDS:
            errors.append(f"{label}: 'kind' must be one of {', '.join(KINDS)}")
        if q.get("id") in seen:
            errors.append(f"{label}: duplicate id")
        seen.add(q.get("id"))
        options = q.get("options")
        if not isinstance(options, list) or len(options) != N_OPTIONS:
            errors.append(f"{label}: needs exactly {N_OPTIONS} options")
            continue
        texts = [o.get("text") if isinstance(o, dict) else None for o in options]
        if not all(isinstance(t, str) and t.strip() for t in texts):
            errors.append(f"{label}: every option needs a 'text'")
        elif len(set(texts)) != len(texts):
            errors.append(f"{label}: option texts must differ")
        if sum(1 for o in options if isinstance(o, dict) and o.get("correct") is True) != 1:
            errors.append(f'{label}: exactly one option must have "correct": true')
        if not all(isinstance(o, dict) and str(o.get("explanation", "")).strip() for o in options):
            errors.append(f"{label}: every option needs an 'explanation'")
    if not seen:
        errors.append(f"{where}: no questions")
    return errors


def read_sources(folder: Path) -> list[dict[str, Any]]:
    """Read and validate every ``*.json`` in ``folder`` (sorted by name)."""
    sources, errors = [], []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            src = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            errors.append(f"{path.name}: invalid JSON ({err})")
            continue
        errors += validate_source(src, path.name)
        sources.append(src)
    chapters = [s.get("chapter") for s in sources if isinstance(s, dict)]
    if len(set(chapters)) != len(chapters):
        errors.append("two quiz sources declare the same chapter")
    if errors:
        raise ValueError("invalid quiz sources:\n  " + "\n  ".join(errors))
    return sources


def encode_bank(sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Turn plain-text chapter sources into the encoded bank (deterministic)."""
    chapters: dict[str, Any] = {}
    for src in sources:
        ch = src["chapter"]
        encoded = []
        for q in src["questions"]:
            canonical = json.dumps([ch, q], sort_keys=True, ensure_ascii=False)
            salt = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
            texts = [o["text"] for o in q["options"]]
            correct = next(o["text"] for o in q["options"] if o["correct"] is True)
            explanations = [
                base64.b64encode(
                    _xor(o["explanation"].encode("utf-8"), _explain_key(salt, ch, q["id"], i, t))
                ).decode("ascii")
                for i, (o, t) in enumerate(zip(q["options"], texts, strict=True))
            ]
            entry = {
                "id": q["id"],
                "question": q["question"],
                "options": texts,
                "salt": salt,
                "answer": _answer_hash(salt, ch, q["id"], correct),
                "explanations": explanations,
            }
            if q.get("source"):
                entry["source"] = q["source"]
            if q.get("kind"):
                entry["kind"] = q["kind"]
            encoded.append(entry)
        chapters[ch] = {"questions": encoded}
    return {"format": FORMAT, "chapters": chapters}


def dumps_bank(bank: dict[str, Any]) -> str:
    """The bank as stable JSON text (what the build writes and compares)."""
    return json.dumps(bank, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- reading


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_bank(path: Path | None = None) -> dict[str, Any]:
    """The encoded bank shipped with the package (empty if it was never built)."""
    path = Path(path) if path is not None else BANK_PATH
    try:
        return _load(str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        return {"format": FORMAT, "chapters": {}}


def questions(chapter: str) -> list[dict[str, Any]]:
    """The encoded questions of a chapter, raising ``KeyError`` for an unknown chapter."""
    chapters = load_bank()["chapters"]
    if chapter not in chapters:
        valid = ", ".join(sorted(chapters)) or "none (run nnlib-build-exercises)"
        raise KeyError(f"no quiz for chapter {chapter!r}; chapters with a quiz: {valid}")
    return chapters[chapter]["questions"]


def get_question(chapter: str, question_id: str) -> dict[str, Any]:
    """One encoded question, raising ``KeyError`` that lists the valid ids."""
    qs = questions(chapter)
    for q in qs:
        if q["id"] == question_id:
            return q
    valid = ", ".join(q["id"] for q in qs)
    raise KeyError(f"no question {question_id!r} in chapter {chapter!r}; valid ids: {valid}")


def check_answer(chapter: str, question_id: str, option_index: int) -> tuple[bool, str]:
    """Whether option ``option_index`` (0-based) is correct, and its explanation.

    Examples
    --------
    >>> correct, why = check_answer("ch02", "q1", 0)  # doctest: +SKIP
    """
    q = get_question(chapter, question_id)
    options = q["options"]
    if not 0 <= int(option_index) < len(options):
        raise IndexError(f"option_index must be in 0..{len(options) - 1}; got {option_index}")
    i = int(option_index)
    text = options[i]
    correct = _answer_hash(q["salt"], chapter, question_id, text) == q["answer"]
    key = _explain_key(q["salt"], chapter, question_id, i, text)
    explanation = _xor(base64.b64decode(q["explanations"][i]), key).decode("utf-8")
    return correct, explanation
