"""Pure rules of Tocsin: no Discord, no SQL, no scheduler imports here."""
