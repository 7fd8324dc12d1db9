"""``priorauth questionnaire [--output FILE]``: the policy as a FHIR R4 Questionnaire.

Every criterion of ``scoring/policy.yaml`` is an item (``linkId`` = the criterion id), nested
as the policy tree; ``priorauth review ... --format fhir`` answers it with a
QuestionnaireResponse. See :mod:`priorauth.fhir.questionnaire`.
"""

from __future__ import annotations

import argparse

COMMAND = "questionnaire"


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``questionnaire`` subcommand to the CLI's subparsers."""
    parser = sub.add_parser(
        COMMAND, help="print the policy as a FHIR R4 Questionnaire (what --format fhir "
        "answers)",
        description="Print the criteria of the policy as a FHIR R4 Questionnaire: one item "
        "per criterion (linkId = the criterion id), nested as the policy tree, answered "
        "met / not-met / unknown.")
    parser.add_argument("--output", metavar="FILE", help="write it here, not stdout")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``priorauth questionnaire``; returns the exit status."""
    from priorauth.cli import UsageError, write_output

    try:
        from priorauth.fhir.questionnaire import questionnaire_json
    except ImportError:
        raise UsageError("the questionnaire needs fhir.resources: "
                         "pip install 'priorauth[fhir]'") from None
    write_output(questionnaire_json(), args.output)
    return 0
