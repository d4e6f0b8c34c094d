"""Errors of storage back ends (S3, GCS, Azure, HTTP) as one :class:`~nb_registry.errors.StorageError`.

    from nb_registry.store.storage_errors import storage_errors, translate

    with storage_errors("s3://bucket/big/shard-000.bin", "read"):
        fs.info(path)                      # NoCredentialsError -> StorageError naming the URL and the fix

    err = translate(exc, url)              # a StorageError, or None when exc is not a back end's failure

fsspec back ends raise what their client libraries raise: ``botocore.exceptions.NoCredentialsError``,
a ``PermissionError("Forbidden")`` whose cause is a 403, a ``FileNotFoundError`` whose cause is
``NoSuchBucket``, ``EndpointConnectionError`` after the retries. Missing credentials, access denied, an
unknown bucket and an unreachable endpoint are told apart (``StorageError.kind``), any other refusal by a back
end's client library is ``"failed"``; each message names the URL, what failed, and what the back end reads to
fix it (environment variables, files). The original exception is
chained (``raise ... from exc``) for whoever wants the details. Anything else (a missing object in an
existing bucket, a local disk error) is not translated: ``translate`` returns None.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any, Iterable, Iterator

from ..errors import RegistryError, StorageError

__all__ = ["translate", "storage_errors", "StorageError"]

# What each back end reads for its credentials and its endpoint: the "how to fix it" of every message.
CREDENTIALS = {
    "s3": ("S3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary credentials), "
           "or AWS_PROFILE from ~/.aws/credentials and ~/.aws/config, or an instance role"),
    "gcs": ("GCS reads GOOGLE_APPLICATION_CREDENTIALS (a service-account JSON file) or the gcloud login in "
            "~/.config/gcloud (gcloud auth application-default login)"),
    "azure": ("Azure reads AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME with "
              "AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_TOKEN, or an az login"),
    "http": "the server asked for credentials; HTTP references are read without any",
}
ENDPOINTS = {
    "s3": ("S3 connects to AWS_ENDPOINT_URL (an S3-compatible server such as MinIO) or else to AWS in "
           "AWS_DEFAULT_REGION; check the address, the network and any proxy (HTTPS_PROXY)"),
    "gcs": "GCS connects to storage.googleapis.com (or STORAGE_EMULATOR_HOST); check the network and any proxy",
    "azure": "Azure connects to the account's blob endpoint; check the account name, the network and any proxy",
    "http": "check the address, the network and any proxy (HTTP_PROXY, HTTPS_PROXY)",
}
_PROTOCOLS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure", "abfss": "azure",
              "adl": "azure", "http": "http", "https": "http"}
_MODULES = {"botocore": "s3", "aiobotocore": "s3", "boto3": "s3", "s3fs": "s3", "gcsfs": "gcs", "google": "gcs",
            "adlfs": "azure", "azure": "azure", "aiohttp": None, "requests": None, "urllib3": None}
_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError", "NoAuthTokenError",
                "DefaultCredentialsError", "RefreshError", "ClientAuthenticationError", "UnauthorizedSSOTokenError",
                "SSOTokenLoadError", "InvalidConfigError", "ProfileNotFound"}
_DENIED_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                 "AllAccessDisabled", "AccountProblem", "AuthorizationHeaderMalformed", "TokenRefreshRequired",
                 "AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch", "403", "401"}
_UNREACHABLE = {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError",
                "ClientConnectorError", "ClientConnectionError", "ServerDisconnectedError", "ServerTimeoutError",
                "NewConnectionError", "MaxRetryError", "ConnectTimeout", "ServiceRequestError", "ProxyConnectionError"}


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and e not in out and len(out) < 20:
        out.append(e)
        e = e.__cause__ or e.__context__
    return out


def _code(e: BaseException) -> str:
    """The error code of a botocore ``ClientError`` (or an HTTP status), else ''."""
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        err = response.get("Error") or {}
        return str(err.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "")
    status = getattr(e, "code", None) or getattr(e, "status", None) or getattr(e, "status_code", None)
    return str(status) if isinstance(status, int) else ""


def _backend(url: str | None, chain: list[BaseException]) -> str | None:
    """'s3', 'gcs', 'azure', 'http', or None when neither the URL nor the exceptions name a remote back end."""
    proto = (url or "").partition("://")[0].lower() if "://" in (url or "") else ""
    if proto in _PROTOCOLS:
        return _PROTOCOLS[proto]
    if proto and proto not in ("file", "local", "memory"):
        return proto
    if proto:  # a local or memory URL: its OSErrors are the machine's, not a back end's
        return None
    for e in chain:
        name = _MODULES.get(type(e).__module__.split(".")[0], "")
        if name:
            return name
    return None


def _kind(chain: list[BaseException]) -> str | None:
    names = {type(e).__name__ for e in chain}
    codes = {_code(e) for e in chain} - {""}
    text = " ".join(str(e) for e in chain)
    if names & _CREDENTIALS:
        return "credentials"
    if codes & _DENIED_CODES or any(isinstance(e, PermissionError) for e in chain[:1]):
        return "denied"
    if "NoSuchBucket" in names or "NoSuchBucket" in codes or "bucket does not exist" in text.lower() \
            or "ContainerNotFound" in codes:
        return "bucket"
    if names & _UNREACHABLE or any(isinstance(e, (ConnectionError, socket.gaierror, TimeoutError)) for e in chain):
        return "unreachable"
    if not isinstance(chain[0], FileNotFoundError) and codes.isdisjoint({"404", "NoSuchKey", "NotFound"}) \
            and any(type(e).__module__.split(".")[0] in _MODULES for e in chain):
        return "failed"  # another refusal of the back end's (a bad bucket name, a throttled request ...)
    return None


_WHAT = {"credentials": "no credentials were found", "denied": "access was denied (wrong credentials or no permission)",
         "bucket": "the bucket does not exist", "unreachable": "the storage endpoint could not be reached",
         "failed": "the storage back end refused the request"}
_FIX = {"credentials": "set credentials: ", "denied": "check the credentials and the bucket's permissions: ",
        "bucket": "check the bucket name; ", "unreachable": "", "failed": ""}


def translate(exc: BaseException, url: str | None = None, action: str = "access") -> StorageError | None:
    """The :class:`StorageError` for a storage back end's failure on ``url``, or None if ``exc`` is not one.

    ``url`` is what was being read or written (a reference, a registry root); ``action`` a verb for the
    message ("read", "write", "open the registry at"). A StorageError is returned as is. The caller chains it:
    ``raise translate(e, url) from e``, or uses :func:`storage_errors`, which does."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, RegistryError):  # already one of ours (a lock timeout is not an unreachable endpoint)
        return None
    chain = _chain(exc)
    backend = _backend(url, chain)
    kind = _kind(chain) if backend else None
    if kind is None or backend is None:
        return None
    other = f"see the {backend} file system's documentation for its storage options"
    hint = {"credentials": CREDENTIALS, "denied": CREDENTIALS}.get(kind, ENDPOINTS).get(backend, other)
    if kind == "failed":
        hint = f"{CREDENTIALS.get(backend, other)}; {ENDPOINTS.get(backend, other)}" if backend in ENDPOINTS else other
    cause = next((e for e in chain if type(e).__module__.split(".")[0] in _MODULES), chain[0])
    detail = f"{type(cause).__name__}: {' '.join(str(cause).split())}"[:300]  # one line, whatever the library wrote
    where = url or f"the {backend} storage"
    err = StorageError(f"cannot {action} {where}: {_WHAT[kind]}; {_FIX[kind]}{hint} ({detail})")
    err.url, err.kind = url, kind
    return err


@contextlib.contextmanager
def storage_errors(url: str | None, action: str = "access") -> Iterator[None]:
    """Inside the block, a storage back end's failure on ``url`` is raised as :class:`StorageError`, chained to the
    original; every other exception passes unchanged."""
    try:
        yield
    except Exception as e:
        if isinstance(e, RegistryError) or getattr(e, "nb_registry_signal", False):
            raise  # ours already (a conflict to retry, a named error): never taken for the back end's
        err = translate(e, url, action)
        if err is None or err is e:
            raise
        raise err from e


def guard_methods(cls: type, names: Iterable[str], url_attr: str = "url", action: str = "access") -> type:
    """Wrap the methods ``names`` of ``cls`` so that a storage back end's failure inside them is a StorageError
    naming ``getattr(self, url_attr)`` (for the classes that talk to remote storage)."""
    import functools

    for name in names:
        method = getattr(cls, name)

        def make(method: Any, name: str) -> Any:
            @functools.wraps(method)
            def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                with storage_errors(str(getattr(self, url_attr, "")) or None, action):
                    return method(self, *args, **kwargs)
            return wrapper

        setattr(cls, name, make(method, name))
    return cls
