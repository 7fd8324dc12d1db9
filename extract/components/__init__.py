"""Our spaCy components, registered as factories (also as ``spacy_factories`` entry points,
so ``nlp.add_pipe("priorauth_context")`` works in a user's own pipeline once the package is
installed): ``priorauth_sentences``, ``priorauth_sections``, ``priorauth_targets``,
``priorauth_context``. Each takes its rule file as ``config={"rules": PATH}``."""

from priorauth.extract.components import context, sections, sentences, targets  # noqa: F401
