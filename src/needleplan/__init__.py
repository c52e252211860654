"""needleplan: the treatment-plan calendar API of micro-needling and med-spa clinics."""

__version__ = "0.1.0"
