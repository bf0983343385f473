from . import l10n_fr_fec, pass_statement_print
