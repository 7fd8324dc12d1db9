"""The reviewer page's routers, one per concern: intake, worklist, review, decisions,
documents, auth. ``create_app`` (:mod:`priorauth.web.app`) includes them all."""
