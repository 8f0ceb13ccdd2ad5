"""One sealing scheme for secrets at rest (gis_app.sealing)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from gis_app.sealing import Sealer, Unsealable

KEY = "k" * 48


@override_settings(SEAL_TEST_KEY=KEY, SEAL_TEST_OLD=[])
def test_sealed_values_hold_no_plaintext_and_open_only_for_their_row_and_purpose() -> None:
    sealer = Sealer("SEAL_TEST_KEY", "tests.secrets", "SEAL_TEST_OLD")
    sealed = sealer.seal("the-device-secret", "device-1")
    assert b"the-device-secret" not in sealed
    assert sealer.seal("the-device-secret", "device-1") != sealed  # a fresh nonce each time
    assert sealer.unseal(sealed, "device-1") == "the-device-secret"
    with pytest.raises(Unsealable):
        sealer.unseal(sealed, "device-2")  # copied onto another row
    with pytest.raises(Unsealable):
        Sealer("SEAL_TEST_KEY", "tests.other-purpose").unseal(sealed, "device-1")
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(Unsealable):
        sealer.unseal(bytes(tampered), "device-1")
    with pytest.raises(Unsealable):
        sealer.unseal(b"\x01short", "device-1")


def test_a_changed_key_still_opens_what_the_listed_old_key_sealed() -> None:
    sealer = Sealer("SEAL_TEST_KEY", "tests.secrets", "SEAL_TEST_OLD")
    with override_settings(SEAL_TEST_KEY=KEY, SEAL_TEST_OLD=[]):
        sealed = sealer.seal("s3cret")
        assert sealer.sealed_under_current_key(sealed)
    with override_settings(SEAL_TEST_KEY="n" * 48, SEAL_TEST_OLD=[]), pytest.raises(Unsealable):
        sealer.unseal(sealed)
    with override_settings(SEAL_TEST_KEY="n" * 48, SEAL_TEST_OLD=[KEY]):
        assert sealer.unseal(sealed) == "s3cret"
        assert not sealer.sealed_under_current_key(sealed)
        assert sealer.sealed_under_current_key(sealer.seal("s3cret"))


@override_settings(SEAL_TEST_KEY=KEY)
def test_the_text_form_round_trips_and_refuses_what_it_did_not_write() -> None:
    sealer = Sealer("SEAL_TEST_KEY", "tests.webhooks")
    stored = sealer.seal_text("whsec")
    assert stored.startswith("v1:") and "whsec" not in stored
    assert sealer.unseal_text(stored) == "whsec"
    for bad in ("whsec", "v1:!!!", "v2:" + stored[3:]):
        with pytest.raises(Unsealable):
            sealer.unseal_text(bad)
