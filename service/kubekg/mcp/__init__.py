"""kubekg as an MCP server (official ``mcp`` SDK): tools, resources and a prompt over the knowledge graph.

``kubekg.mcp.tools`` declares the tools once (JSON Schemas, REST endpoint, example call) and runs them with the same
domain functions as the REST API; ``kubekg.mcp.server`` builds the low-level SDK server (stdio via ``kubekg mcp``);
``kubekg.web.mcp_http`` serves the same server as Streamable HTTP at ``/mcp``; ``kubekg.web.tools`` publishes the
tools as OpenAI-style function definitions at ``/api/tools``.
"""
