"""The Tela API's client and resources, one module per resource (private: import from ``tela_sdk``)."""
