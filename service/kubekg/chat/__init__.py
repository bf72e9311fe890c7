"""Material for chatbots and retrieval: every fact as a short cited sentence (ko/en) and entities as cited Markdown.

No Flask here: ``kubekg.web.facts`` serves :mod:`kubekg.chat.facts` as ``/api/facts`` and the entity route serves
:func:`kubekg.chat.markdown.entity_markdown` for ``?format=markdown``; the MCP server reads both as resources.
"""
