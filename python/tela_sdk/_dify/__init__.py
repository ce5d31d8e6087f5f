"""Dify's service API on the same native core, one module per resource (private: import
``DifyClient`` and ``AsyncDifyClient`` from ``tela_sdk``)."""
