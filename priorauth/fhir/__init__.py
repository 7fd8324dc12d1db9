"""FHIR R4 interfaces (issue 13): the policy as a ``Questionnaire``, a Da Vinci PAS-style
request ``Bundle`` as input, and the review as a ``QuestionnaireResponse`` in a ``collection``
``Bundle`` with a ``Provenance``.

- :mod:`priorauth.fhir.codes`: the canonical, extension and CodeSystem URLs (defined once).
- :mod:`priorauth.fhir.questionnaire`: ``scoring/policy.yaml`` as a ``Questionnaire``.
- :mod:`priorauth.fhir.bundle_in`: a request bundle read into a review request and its
  attachments, which go through the input gate like any chart file.
- :mod:`priorauth.fhir.response`: a review as a FHIR ``Bundle`` (the report layer).

The resources are the models of ``fhir.resources`` (R4B, which reads and writes R4 JSON for
the resources used here); install them with ``pip install 'priorauth[fhir]'``.
"""
