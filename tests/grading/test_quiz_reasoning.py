"""Quizzes that test reasoning: reasoning questions per chapter, no answer cue in the option
lengths, and options shown in an order of each learner's own, graded by the option chosen."""

from pathlib import Path

import pytest

from nnlib.grading import learner_id, load_progress, progress
from nnlib.grading.quizbank import check_answer, load_bank, read_sources, validate_source
from nnlib.grading.quizzes import QuizQuestion, option_order

ROOT = Path(__file__).resolve().parents[2]
QUIZ_SOURCES = ROOT / "exercises" / "source" / "quizzes"


def plain_bank():
    return {s["chapter"]: s for s in read_sources(QUIZ_SOURCES)}


def correct_is_strictly_longest(question):
    lengths = [len(o["text"]) for o in question["options"]]
    right = next(len(o["text"]) for o in question["options"] if o["correct"])
    return sorted(lengths)[-1] == right and lengths.count(right) == 1


def length_ranks(question):
    """The length ranks at which the correct option may stand (1 = longest, 4 = shortest).

    A learner's rule "pick the k-th longest option" hits the correct option at rank
    1 + (options strictly longer).  When options tie with it, the rule may hit any rank of the
    tie, so every such rank is counted (ties in the learner's favour), except rank 1: a tie
    for the top is not "strictly longest".
    """
    lengths = [len(o["text"]) for o in question["options"]]
    right = next(len(o["text"]) for o in question["options"] if o["correct"])
    longer = sum(n > right for n in lengths)
    tied = lengths.count(right) - 1
    return {k for k in range(1 + longer, 2 + longer + tied) if not (k == 1 and tied)}


def rank_distribution(questions):
    counts = {k: 0 for k in range(1, 5)}
    for q in questions:
        for k in length_ranks(q):
            counts[k] += 1
    return counts


# ---------------------------------------------------------------- content


@pytest.mark.parametrize("chapter", sorted(plain_bank()))
def test_every_chapter_has_two_reasoning_questions(chapter):
    reasoning = [q for q in plain_bank()[chapter]["questions"] if q.get("kind") == "reasoning"]
    assert len(reasoning) >= 2, [q["id"] for q in reasoning]


def test_reasoning_explanations_show_a_computation():
    # The correct option's explanation of a reasoning question works the number out:
    # it contains an equals sign or an arrow, and at least one digit.
    for chapter, src in plain_bank().items():
        for q in src["questions"]:
            if q.get("kind") != "reasoning":
                continue
            why = next(o["explanation"] for o in q["options"] if o["correct"])
            assert any(c.isdigit() for c in why), (chapter, q["id"])
            assert "=" in why or "→" in why or "\\to" in why, (chapter, q["id"])


def test_the_correct_option_is_strictly_longest_in_at_most_a_quarter_of_the_bank():
    questions = [q for src in plain_bank().values() for q in src["questions"]]
    longest = [q["id"] for q in questions if correct_is_strictly_longest(q)]
    assert len(longest) <= 0.25 * len(questions), (len(longest), len(questions))


def test_no_length_rank_predicts_the_correct_option():
    # "Never the longest" would be a rule too, and so would "the second longest": the correct
    # option is strictly longest in 10-25% of questions and no rank holds more than 35%.
    questions = [q for src in plain_bank().values() for q in src["questions"]]
    counts = rank_distribution(questions)
    n = len(questions)
    print(f"\ncorrect option's length rank over {n} questions (ties in the learner's favour):")
    for k, c in counts.items():
        print(f"  rank {k}: {c:3d}  {100 * c / n:5.1f}%")
    assert 0.10 * n <= counts[1] <= 0.25 * n, counts
    assert all(c <= 0.35 * n for c in counts.values()), counts


@pytest.mark.parametrize("chapter", sorted(plain_bank()))
def test_no_chapter_puts_every_correct_option_at_one_length_rank(chapter):
    shared = set.intersection(*(length_ranks(q) for q in plain_bank()[chapter]["questions"]))
    assert not shared, (chapter, shared)


def test_length_ranks_count_every_rank_a_tie_allows():
    def q(*texts):
        return {"options": [{"text": t, "correct": i == 0} for i, t in enumerate(texts)]}

    assert length_ranks(q("longest", "a", "bb", "ccc")) == {1}
    assert length_ranks(q("bb", "a", "ccc", "dddd")) == {3}
    assert length_ranks(q("a", "bb", "ccc", "dddd")) == {4}
    assert length_ranks(q("same", "four", "b", "c")) == {2}
    assert length_ranks(q("bb", "cc", "dd", "eee")) == {2, 3, 4}
    assert rank_distribution([q("a", "b", "c", "d"), q("xx", "y", "z", "w")]) == {
        1: 1,
        2: 1,
        3: 1,
        4: 1,
    }


def test_the_longest_rule_counts_ties_as_not_strictly_longest():
    def q(*texts):
        return {"options": [{"text": t, "correct": i == 0} for i, t in enumerate(texts)]}

    assert correct_is_strictly_longest(q("longer", "a", "b", "c"))
    assert not correct_is_strictly_longest(q("same", "four", "b", "c"))
    assert not correct_is_strictly_longest(q("a", "bb", "c", "d"))


def test_kind_is_validated_and_encoded():
    options = [{"text": t, "correct": t == "a", "explanation": "why"} for t in "abcd"]
    good = {"chapter": "chX", "questions": [{"id": "q1", "question": "?", "options": options}]}
    assert validate_source(good) == []
    good["questions"][0]["kind"] = "reasoning"
    assert validate_source(good) == []
    bad = {**good, "questions": [{**good["questions"][0], "kind": "recall"}]}
    assert any("'kind'" in e for e in validate_source(bad))
    bank = load_bank()["chapters"]
    for chapter, src in plain_bank().items():
        kinds = {q["id"]: q.get("kind") for q in src["questions"]}
        assert {q["id"]: q.get("kind") for q in bank[chapter]["questions"]} == kinds


# ---------------------------------------------------------------- learner id


def test_the_learner_id_comes_from_the_environment_when_set(monkeypatch):
    monkeypatch.setenv(progress.LEARNER_ENV_VAR, "learner-a")
    assert learner_id() == "learner-a"
    assert "learner_id" not in load_progress()


def test_a_random_learner_id_is_made_once_and_kept_in_the_progress_file(monkeypatch):
    monkeypatch.delenv(progress.LEARNER_ENV_VAR, raising=False)
    monkeypatch.setattr(progress, "_session_learner", None)
    first = learner_id()
    assert load_progress()["learner_id"] == first
    monkeypatch.setattr(progress, "_session_learner", None)  # a new process
    assert learner_id() == first
    progress.reset_progress()
    assert learner_id() == first
    monkeypatch.setattr(progress, "_session_learner", None)
    progress.progress_path().unlink()  # another learner (a fresh folder)
    assert learner_id() != first


# ---------------------------------------------------------------- shuffled options


def _every_question():
    return [(ch, q["id"]) for ch, c in load_bank()["chapters"].items() for q in c["questions"]]


def test_the_option_order_is_a_permutation_fixed_per_learner():
    for chapter, qid in _every_question():
        order = option_order(chapter, qid, "learner-a")
        assert sorted(order) == [0, 1, 2, 3]
        assert option_order(chapter, qid, "learner-a") == order


def test_different_learners_see_different_orders():
    questions = _every_question()
    a = [option_order(ch, qid, "learner-a") for ch, qid in questions]
    b = [option_order(ch, qid, "learner-b") for ch, qid in questions]
    differ = sum(x != y for x, y in zip(a, b, strict=True))
    assert differ >= len(questions) // 2, differ  # 23 of 24 orders differ by chance
    assert len({tuple(o) for o in a}) > 1, "one learner's questions are not all alike"


def test_the_widget_shows_the_learners_order_and_grades_the_option_chosen(monkeypatch):
    monkeypatch.setenv(progress.LEARNER_ENV_VAR, "learner-b")
    chapter, qid = next(
        (ch, qid)
        for ch, qid in _every_question()
        if option_order(ch, qid, "learner-b") != [0, 1, 2, 3]
    )
    order = option_order(chapter, qid, "learner-b")
    q = QuizQuestion(chapter, qid)
    assert q.order == order
    texts = load_bank()["chapters"][chapter]["questions"]
    texts = next(x["options"] for x in texts if x["id"] == qid)
    assert [label for label, _ in q.choices.options] == [
        f"{'ABCD'[pos]}. {texts[i]}" for pos, i in enumerate(order)
    ]
    assert repr(q).splitlines()[1] == f"  A. {texts[order[0]]}"
    right = next(i for i in range(4) if check_answer(chapter, qid, i)[0])
    q.choices.value = right  # the value is the option's index in the bank
    q.check_button.click()
    assert "Correct" in q.feedback.value
    assert f"Option {'ABCD'[order.index(right)]}:" in q.feedback.value
