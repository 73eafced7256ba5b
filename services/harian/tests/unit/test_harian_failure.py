"""What a submission's status says when harian could not store it after every try: why, in plain
Indonesian and English, naming the field when its text is what could not be stored."""

from harian.domain.failure import failure_problem, unstorable_fields


def submission(*descriptions):
    return {"id": "8b0a7f8e-3c1e-4c55-9d35-6f0f0c1e2a11", "nip": "198404132006021028", "date": "2026-03-02",
            "activities": [{"rhk_id": "r1", "description": d, "satuan": "jam", "quantity": 1} for d in descriptions]}


def test_text_that_cannot_be_stored_is_found_field_by_field():
    data = submission("Mengajar", "Rapat \ud800 guru", "Piket\x00")
    assert unstorable_fields(data) == ["activities[1].description", "activities[2].description"]
    assert unstorable_fields(submission("Mengajar 👩‍🏫", "Tab\tand\nnewline")) == []
    assert unstorable_fields({"activities": None, "date": "2026-03-02"}) == []


def test_a_submission_with_unstorable_text_names_the_field_in_both_languages():
    problem = failure_problem(submission("Mengajar", "Rapat \ud800 guru"), tries=5)
    assert problem["code"] == "unstorable-text" and problem["status"] == 422
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("activities[1].description", "storable-text")]
    error = problem["errors"][0]
    assert "character" in error["detail"] and "karakter" in error["detail_id"]
    assert "submit" in problem["detail"] and "kirim" in problem["detail_id"]


def test_any_other_failure_says_so_plainly_and_that_nothing_is_lost():
    problem = failure_problem(submission("Mengajar"), tries=5)
    assert problem["code"] == "processing-failed" and problem["status"] == 500
    assert "5" in problem["detail"] and "5" in problem["detail_id"]
    assert "set aside" in problem["detail"] and "disimpan terpisah" in problem["detail_id"]
    assert "errors" not in problem


def test_the_reason_never_shows_code_or_a_stack_trace():
    for data in (submission("Rapat \ud800"), submission("ok"), {"nip": 5}, {}):
        problem = failure_problem(data, tries=3)
        text = " ".join(str(v) for v in problem.values())
        assert "Traceback" not in text and "Error" not in text and "\ud800" not in text
        (problem["detail"] + problem["detail_id"]).encode("utf-8")
