"""Keys and sessions: `HUZHU_SECURITY__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator

from huzhu.kit import signing

# The key of the embedded mode: fine for a demo, refused by production mode.
DEV_SECRET_KEY_DEFAULT = "huzhu-embedded-dev-key-change-me"


class SecuritySettings(BaseModel):
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY_DEFAULT),
        description="HMAC key for participant tokens and keyed hashes; set in production",
    )
    hash_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="keys of the keyed hashes of personal data, version -> secret; empty "
        "means one version, v0, whose key is secret_key (README: rotating the hashing key)",
    )
    hash_key_version: str = Field(
        default="v0",
        min_length=1,
        max_length=16,
        description="the version new keyed hashes are made with; the others in hash_keys "
        "are still accepted for lookup",
    )
    participant_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    operator_session_ttl_seconds: int = Field(default=12 * 3600, ge=60)
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=100 * 1_048_576,
        description="the largest request body accepted (413 body_too_large above it)",
    )

    @model_validator(mode="after")
    def _hash_key_version_known(self) -> SecuritySettings:
        self.hash_keyring()  # refused at start-up, not at the first sign-in
        return self

    def hash_keyring(self) -> signing.KeyRing:
        keys = self.hash_keys or {"v0": self.secret_key}
        return signing.KeyRing(
            keys={v: s.get_secret_value().encode() for v, s in keys.items()},
            current=self.hash_key_version,
        )
