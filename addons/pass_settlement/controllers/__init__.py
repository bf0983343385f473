# Portal pages of pass_settlement (remittances and statements).
