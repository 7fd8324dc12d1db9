"""Policy tree as data and the pure scorer: facts + request -> review."""

from priorauth.scoring.determination import rescore, score
from priorauth.scoring.tree import load_policy

__all__ = ["load_policy", "rescore", "score"]
