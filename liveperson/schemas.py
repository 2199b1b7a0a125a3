"""Models of LivePerson answers; parsing them is how we notice an unexpected one.

Tokens are `SecretStr`, so a stray repr or log line shows `**********`.
"""

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, SecretStr


def _number_to_str(value):
    return str(value) if isinstance(value, int) else value


# LivePerson sends some ids as strings in one place and numbers in another.
IdStr = Annotated[str, BeforeValidator(_number_to_str)]


class BaseURI(BaseModel):
    account: IdStr = ""
    baseURI: str
    service: str


class BaseURIs(BaseModel):
    """CSDS answer for all services of an account (docs/LIVEPERSON.md, 'Service discovery (CSDS)')."""

    baseURIs: list[BaseURI] = []

    def as_map(self) -> dict[str, str]:
        services: dict[str, str] = {}
        for entry in self.baseURIs:
            services.setdefault(entry.service, entry.baseURI)  # the first match wins
        return services


class LoginConfig(BaseModel):
    loginName: str
    userId: IdStr
    userPrivileges: list[int] = []
    isLPA: bool = False
    isAdmin: bool = False


class LoginResponse(BaseModel):
    """Login Service answer (docs/LIVEPERSON.md, 'Login Service and session').
    `sessionTTl` arrives as a string of milliseconds."""

    csrf: SecretStr
    config: LoginConfig
    csdsCollectionResponse: BaseURIs | None = None
    sessionTTl: int
    bearer: SecretStr
