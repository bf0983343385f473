from . import pass_statement_print
