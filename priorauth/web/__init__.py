"""The reviewer web page (``priorauth serve``): see :func:`priorauth.web.app.create_app`."""
