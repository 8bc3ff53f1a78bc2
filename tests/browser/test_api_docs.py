"""/docs and /redoc in headless Chromium with no network: LaunchGap's own copies of Swagger UI and ReDoc
render the API under the pages' Content-Security-Policy (no inline script, nothing from another host)."""

from __future__ import annotations

from pathlib import Path

from .test_dashboard import dashboard_url  # noqa: F401  (the app over the slice scenario)


def _csp_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    messages: list[str] = []
    page.on(
        "console",
        lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return messages


def test_swagger_ui_renders_offline_under_the_csp(dashboard_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, _scenario = dashboard_url
    violations = _csp_violations(page)
    response = page.goto(base + "/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(".swagger-ui .info .title", has_text="LaunchGap").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/gaps").first.wait_for()
    page.screenshot(path=str(artifacts_dir / "api-docs-swagger.png"))
    assert violations == []
    assert page.blocked_requests == [], "Swagger UI tried to reach the network"


def test_redoc_renders_offline_under_the_csp(dashboard_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, _scenario = dashboard_url
    violations = _csp_violations(page)
    page.goto(base + "/redoc")
    page.locator("h1", has_text="LaunchGap").first.wait_for()
    page.get_by_text("/api/v1/gaps").first.wait_for(state="attached")
    page.screenshot(path=str(artifacts_dir / "api-docs-redoc.png"))
    assert [v for v in violations if "img-src" not in v] == []
    assert page.blocked_requests == [], "ReDoc tried to reach the network"
