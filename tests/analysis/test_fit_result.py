"""The shared fit-result convention: error names and the text report."""

import dataclasses

from tttr.fit_result import FitResult, error_name
from tttr.results import Result


def test_error_names_follow_one_rule():
    assert error_name("tau_ns") == "tau_err_ns"
    assert error_name("alpha") == "alpha_err"
    assert error_name("t_min_s") == "t_min_err_s"
    assert error_name("g2_zero") == "g2_zero_err"


@dataclasses.dataclass(frozen=True, repr=False)
class _Line(Result, FitResult):
    slope: float
    slope_err: float
    n: int

    def fit_model(self):
        return "line"

    def fit_values(self):
        return {"slope": self.slope}

    def fit_errors(self):
        return {"slope": self.slope_err}

    def fit_statistics(self):
        return {"n": self.n}


def test_report_lists_model_statistics_and_values():
    text = _Line(2.5, 0.1, 10).report()
    assert "[[Model]]" in text and "line" in text
    assert "slope" in text and "2.5 +/- 0.1" in text
    assert "n " in text and "= 10" in text
    # the mixin adds no fields: the JSON of a result is unchanged
    assert _Line(2.5, 0.1, 10).to_dict() == {"slope": 2.5, "slope_err": 0.1, "n": 10}
