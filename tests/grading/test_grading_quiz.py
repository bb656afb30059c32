"""Quiz bank encoding, answer checking, the widget's callback, and the quiz content."""

import json
import re
from pathlib import Path

import pytest

from nnlib.grading import check_answer, load_progress, quiz
from nnlib.grading.quizbank import BANK_PATH, encode_bank, load_bank, read_sources, validate_source
from nnlib.grading.quizzes import QuizQuestion, source_line

ROOT = Path(__file__).resolve().parents[2]
QUIZ_SOURCES = ROOT / "exercises" / "source" / "quizzes"
SOURCES = ROOT.parent / "shared" / "sources"


def plain_bank():
    return {s["chapter"]: s for s in read_sources(QUIZ_SOURCES)}


def all_questions():
    return [(ch, q) for ch, src in plain_bank().items() for q in src["questions"]]


# ---------------------------------------------------------------- answers


QUESTIONS = all_questions()


@pytest.mark.parametrize(
    "chapter,question", QUESTIONS, ids=[f"{c}-{q['id']}" for c, q in QUESTIONS]
)
def test_check_answer_matches_the_plain_source(chapter, question):
    for i, option in enumerate(question["options"]):
        correct, explanation = check_answer(chapter, question["id"], i)
        assert correct is option["correct"]
        assert explanation == option["explanation"]


def test_explanations_differ_per_option():
    for ch, q in all_questions():
        texts = [check_answer(ch, q["id"], i)[1] for i in range(len(q["options"]))]
        assert len(set(texts)) == len(texts), (ch, q["id"])


def test_check_answer_rejects_bad_ids():
    with pytest.raises(KeyError, match="valid ids"):
        check_answer("ch01", "q99", 0)
    with pytest.raises(KeyError, match="chapters with a quiz"):
        check_answer("ch99", "q1", 0)
    with pytest.raises(IndexError):
        check_answer("ch01", "q1", 4)


def test_bank_hides_answers_and_explanations():
    text = BANK_PATH.read_text(encoding="utf-8")
    assert '"correct"' not in text and '"explanation"' not in text
    # What the bank stores besides the visible question and option texts:
    bank = json.loads(text)
    hidden = json.dumps(
        [
            {k: v for k, v in q.items() if k not in ("question", "options", "source")}
            for c in bank["chapters"].values()
            for q in c["questions"]
        ]
    )
    for _, q in all_questions():
        for option in q["options"]:
            expl = option["explanation"]
            assert expl not in text
            for start in range(0, max(1, len(expl) - 20), 10):  # not even a piece of it
                assert expl[start : start + 20] not in hidden
            if len(option["text"]) >= 6:  # shorter ones ("10") occur in hex by chance
                assert option["text"] not in hidden


def test_committed_bank_is_what_the_sources_encode_to():
    assert load_bank() == encode_bank(read_sources(QUIZ_SOURCES))


def test_encoding_is_deterministic_and_salted_per_question():
    a = encode_bank(read_sources(QUIZ_SOURCES))
    b = encode_bank(read_sources(QUIZ_SOURCES))
    assert a == b
    salts = [q["salt"] for c in a["chapters"].values() for q in c["questions"]]
    assert len(set(salts)) == len(salts)


def test_validation_catches_authoring_mistakes():
    good = plain_bank()["ch01"]
    bad = json.loads(json.dumps(good))
    bad["questions"][0]["options"][0]["correct"] = True  # now two correct
    del bad["questions"][1]["options"][2]["explanation"]
    bad["questions"][2]["options"] = bad["questions"][2]["options"][:3]
    errors = "\n".join(validate_source(bad, "ch01.json"))
    assert "exactly one option" in errors
    assert "explanation" in errors
    assert "exactly 4 options" in errors
    assert validate_source(good) == []


# ---------------------------------------------------------------- content


def test_every_chapter_has_at_least_three_questions_of_four_options():
    bank = plain_bank()
    for ch in [f"ch{i:02d}" for i in range(1, 10)]:
        own = [q for q in bank[ch]["questions"] if "source" not in q]
        assert len(own) >= 3, ch
        for q in bank[ch]["questions"]:
            assert len(q["options"]) == 4
            assert sum(o["correct"] for o in q["options"]) == 1


def _source_quiz(prefix):
    """(title without section number, quiz question line) of a source text."""
    (path,) = SOURCES.glob(f"{prefix}_*.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    title = re.sub(r"^\d+(\.\d+)*\.\s+", "", lines[0])  # "18.9. Title" -> "Title"
    marker = lines.index("Now answer the exercise about the content:")
    question = next(line for line in lines[marker + 1 :] if line.strip())
    return title.strip(), question.strip()


@pytest.mark.parametrize("prefix,chapter", [("000", "ch05"), ("001", "ch02"), ("004", "ch04")])
def test_source_questions_are_quoted_with_their_source(prefix, chapter):
    if not SOURCES.is_dir():
        pytest.skip("shared/sources not beside the repository")
    title, question = _source_quiz(prefix)
    matches = [
        q for q in load_bank()["chapters"][chapter]["questions"] if q["question"] == question
    ]
    assert len(matches) == 1, f"{question!r} not in {chapter}"
    assert matches[0]["source"] == title
    widget = QuizQuestion(chapter, matches[0]["id"])
    assert source_line(title) in widget.prompt.value
    assert question in widget.prompt.value


# ---------------------------------------------------------------- widget


def test_widget_callback_shows_explanation_and_records_progress():
    q = QuizQuestion("ch02", "q2")
    plain = next(x for x in plain_bank()["ch02"]["questions"] if x["id"] == "q2")
    wrong = next(i for i, o in enumerate(plain["options"]) if not o["correct"])
    right = next(i for i, o in enumerate(plain["options"]) if o["correct"])

    assert q.feedback.value == ""
    q._on_check()  # nothing chosen yet: a hint, no attempt counted
    assert "Choose an option" in q.feedback.value and q.attempts == 0

    q.choices.value = wrong
    q.check_button.click()
    assert "Not quite" in q.feedback.value
    assert q.last_explanation == plain["options"][wrong]["explanation"]
    entry = load_progress()["quizzes"]["ch02"]["q2"]
    assert entry["correct"] is False and entry["attempts"] == 1

    q.choices.value = right  # retry
    q.check_button.click()
    assert "Correct" in q.feedback.value and "attempt 2" in q.feedback.value
    assert q.last_explanation == plain["options"][right]["explanation"]
    entry = load_progress()["quizzes"]["ch02"]["q2"]
    assert entry["correct"] is True and entry["attempts"] == 2


def test_widget_state_does_not_reveal_the_answer():
    q = QuizQuestion("ch03", "q1")
    state = json.dumps([w.get_state() for w in (q.prompt, q.choices, q.check_button, q.feedback)])
    plain = next(x for x in plain_bank()["ch03"]["questions"] if x["id"] == "q1")
    for option in plain["options"]:
        assert option["explanation"] not in state
    assert "correct" not in state.lower()


def test_quiz_builds_a_chapter_or_one_question():
    whole = quiz("ch04")
    assert [q.question_id for q in whole.questions] == [
        q["id"] for q in load_bank()["chapters"]["ch04"]["questions"]
    ]
    one = quiz("ch04", "q2")
    assert len(one.questions) == 1 and one.questions[0].question_id == "q2"
    assert "application/vnd.jupyter.widget-view+json" in one._repr_mimebundle_()
    with pytest.raises(KeyError):
        quiz("ch04", "nope")


def test_options_are_short_enough_for_one_line():
    for _, q in all_questions():
        for option in q["options"]:
            assert len(option["text"]) <= 100, option["text"]
