from . import portal, portal_funder, public, rpc
