"""The console's pages and form actions under /console. Routes only read the request and
render: reads and changes go through auto_actions, crypto_actions (the use cases of /ops/v1)
and queries (read-only views)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from orderdesk.console import auto_actions as auto
from orderdesk.console import crypto_actions as crypto
from orderdesk.console import queries, session
from orderdesk.console.web import act, done, page, redirect, render, runtime_of, secure, static_file
from orderdesk.platform.errors import ApiError
from orderdesk.platform.http import new_app
from orderdesk.platform.runtime import Runtime

LAST_LEDGER_CHECK = "console_last_ledger_check"


def mount(root: FastAPI, runtime: Runtime) -> None:
    app = new_app()
    app.state.runtime = runtime

    @app.exception_handler(session.SignInRequired)
    async def sign_in_required(request: Request, exc: Exception) -> Response:
        return secure(RedirectResponse("/console/signin", status_code=303))

    @app.exception_handler(session.CsrfRefused)
    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return secure(HTMLResponse("<h1>403 Forbidden</h1><p>Missing or invalid CSRF token.</p>", status_code=403))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return render(request, "error.html", status=exc.status, error=exc)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return secure(HTMLResponse("<h1>404 Not found</h1>", status_code=404))

    _sign_in(app)
    _overview(app)
    _auto_pages(app)
    _crypto_pages(app)
    _webhooks(app)

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        return static_file(name)

    @root.get("/console", include_in_schema=False)
    async def console_root() -> Response:
        return RedirectResponse("/console/", status_code=307)

    root.mount("/console", app)


def _cursor(request: Request) -> str | None:
    return request.query_params.get("cursor") or None


def _arg(request: Request, name: str) -> str | None:
    return request.query_params.get(name) or None


# --------------------------------------------------------------------------- sign-in


def _sign_in(app: FastAPI) -> None:
    @app.get("/signin")
    async def sign_in_page(request: Request) -> Response:
        return render(request, "signin.html", error=None)

    @app.post("/signin")
    async def sign_in(request: Request) -> Response:
        runtime = runtime_of(request)
        form = await request.form()
        token = form.get("token")
        if not isinstance(token, str) or not session.token_matches(runtime.settings, token):
            return render(request, "signin.html", status=401, error="Missing or invalid operator token")
        sess = session.new_session(runtime.settings, runtime.clock.now().timestamp())
        response = redirect("/console/")
        session.set_cookie(response, runtime.settings, sess)
        return response

    @app.post("/signout")
    async def sign_out(request: Request) -> Response:
        sess = session.current(request)
        form = await request.form()
        token = form.get(session.CSRF_FIELD)
        session.check_csrf(sess, token if isinstance(token, str) else None)
        response = redirect("/console/signin")
        session.clear_cookie(response, runtime_of(request).settings)
        return response


# --------------------------------------------------------------------------- overview


def _overview(app: FastAPI) -> None:
    @app.get("/")
    async def overview(request: Request) -> Response:
        async def build() -> Response:
            runtime = runtime_of(request)
            data = await queries.overview(runtime)
            return render(request, "overview.html", data=data, ledger=runtime.extras.get(LAST_LEDGER_CHECK))

        return await page(request, build)


# --------------------------------------------------------------------------- auto


def _auto_pages(app: FastAPI) -> None:  # noqa: C901 - one route table
    @app.get("/auto/partners")
    async def auto_partners(request: Request) -> Response:
        async def build() -> Response:
            listing = await auto.list_partners(runtime_of(request), request)
            return render(request, "auto_partners.html", listing=listing)

        return await page(request, build)

    @app.post("/auto/partners")
    async def auto_partner_create(request: Request) -> Response:
        runtime = runtime_of(request)

        def shown(created: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            secrets = {"API key": created["api_key"], "Webhook secret": created["webhook_secret"]}
            return f"/console/auto/partners/{created['id']}", done("Partner created", secrets=secrets)

        return await act(
            request,
            "auto.create_partner",
            "-",
            lambda form: auto.create_partner(runtime, form),
            "/console/auto/partners",
            shown,
        )

    @app.get("/auto/partners/{partner_id}")
    async def auto_partner(request: Request, partner_id: str) -> Response:
        async def build() -> Response:
            partner = await auto.get_partner(runtime_of(request), partner_id)
            return render(request, "auto_partner.html", partner=partner)

        return await page(request, build)

    @app.post("/auto/partners/{partner_id}/settings")
    async def auto_partner_settings(request: Request, partner_id: str) -> Response:
        runtime = runtime_of(request)
        back = f"/console/auto/partners/{partner_id}"
        return await act(
            request,
            "auto.update_partner",
            partner_id,
            lambda form: auto.update_partner(runtime, partner_id, form),
            back,
            lambda _: (back, done("Allowlist and webhook URL saved")),
        )

    @app.post("/auto/partners/{partner_id}/keys")
    async def auto_key_issue(request: Request, partner_id: str) -> Response:
        runtime = runtime_of(request)
        back = f"/console/auto/partners/{partner_id}"
        return await act(
            request,
            "auto.issue_key",
            partner_id,
            lambda form: auto.issue_key(runtime, partner_id),
            back,
            lambda key: (back, done("Key issued", secrets={"API key": key["api_key"]})),
        )

    @app.post("/auto/partners/{partner_id}/keys/{key_id}/revoke")
    async def auto_key_revoke(request: Request, partner_id: str, key_id: str) -> Response:
        runtime = runtime_of(request)
        back = f"/console/auto/partners/{partner_id}"

        async def run(form: FormData) -> None:
            await auto.revoke_key(runtime, partner_id, key_id)

        return await act(request, "auto.revoke_key", key_id, run, back, lambda _: (back, done("Key revoked")))

    @app.get("/auto/vehicles")
    async def auto_vehicles(request: Request) -> Response:
        async def build() -> Response:
            listing = await queries.auto_vehicles(runtime_of(request), _arg(request, "q"), _cursor(request))
            return render(request, "auto_vehicles.html", listing=listing, q=_arg(request, "q") or "", vehicle=None)

        return await page(request, build)

    @app.post("/auto/vehicles")
    async def auto_vehicle_add(request: Request) -> Response:
        runtime = runtime_of(request)
        form = await request.form()
        vehicle_id = str(form.get("id") or "")

        async def run(form: FormData) -> tuple[int, dict[str, Any]]:
            return await auto.put_vehicle(runtime, vehicle_id, form, None)

        return await act(
            request,
            "auto.put_vehicle",
            vehicle_id,
            run,
            "/console/auto/vehicles",
            lambda _: (f"/console/auto/vehicles/{vehicle_id}", done("Vehicle saved")),
        )

    @app.get("/auto/vehicles/{vehicle_id}")
    async def auto_vehicle(request: Request, vehicle_id: str) -> Response:
        async def build() -> Response:
            runtime = runtime_of(request)
            vehicle = await auto.get_vehicle(runtime, vehicle_id)
            orders = await auto.vehicle_orders(runtime, vehicle_id)
            return render(request, "auto_vehicle.html", vehicle=vehicle, orders=orders)

        return await page(request, build)

    def vehicle_action(name: str, path: str, call: Any, message: str) -> None:
        @app.post("/auto/vehicles/{vehicle_id}/" + path, name=name)
        async def handler(request: Request, vehicle_id: str) -> Response:
            runtime = runtime_of(request)
            back = f"/console/auto/vehicles/{vehicle_id}"

            async def run(form: FormData) -> Any:
                return await call(runtime, vehicle_id, form)

            return await act(request, name, vehicle_id, run, back, lambda result: (back, done(message, result=result)))

    async def edit(runtime: Runtime, vehicle_id: str, form: FormData) -> Any:
        current = await auto.get_vehicle(runtime, vehicle_id)
        return (await auto.put_vehicle(runtime, vehicle_id, form, current))[1]

    vehicle_action("auto.edit_vehicle", "edit", edit, "Vehicle saved")
    vehicle_action("auto.reschedule", "reschedule", auto.reschedule, "Rescheduled")
    vehicle_action("auto.withdraw_vehicle", "withdraw", lambda r, v, f: auto.withdraw_vehicle(r, v), "Withdrawn")
    vehicle_action("auto.start_auction", "auction/start", lambda r, v, f: auto.start_auction(r, v), "Auction started")
    vehicle_action("auto.record_result", "auction/result", auto.record_result, "Result recorded")

    @app.get("/auto/orders")
    async def auto_orders(request: Request) -> Response:
        async def build() -> Response:
            listing = await auto.list_orders(runtime_of(request), request)
            filters = {name: request.query_params.get(name, "") for name in ("status", "partner_id", "vehicle_id")}
            return render(request, "auto_orders.html", listing=listing, filters=filters, statuses=auto.STATUSES)

        return await page(request, build)

    @app.get("/auto/orders/{order_id}")
    async def auto_order(request: Request, order_id: str) -> Response:
        async def build() -> Response:
            runtime = runtime_of(request)
            order = await auto.get_order(runtime, order_id)
            events = await auto.order_events(runtime, order["partner_id"], order_id)
            next_attempts = await queries.auto_next_attempts(runtime, [e["id"] for e in events])
            return render(
                request,
                "auto_order.html",
                order=order,
                events=events,
                next_attempts=next_attempts,
                choices=auto.allowed_transitions(order),
                failure_reasons=auto.FAILURE_REASONS,
                cancellation_reasons=auto.CANCELLATION_REASONS,
                details=auto.LMN_DETAILS,
                shipment_fields=auto.SHIPMENT_FIELDS,
            )

        return await page(request, build)

    @app.post("/auto/orders/{order_id}/transition")
    async def auto_transition(request: Request, order_id: str) -> Response:
        runtime = runtime_of(request)
        back = f"/console/auto/orders/{order_id}"
        return await act(
            request,
            "auto.transition",
            order_id,
            lambda form: auto.transition(runtime, order_id, form),
            back,
            lambda order: (back, done(f"Order is now {order['status']}")),
        )


# --------------------------------------------------------------------------- crypto


def _crypto_pages(app: FastAPI) -> None:  # noqa: C901 - one route table
    @app.get("/crypto/partners")
    async def crypto_partners(request: Request) -> Response:
        async def build() -> Response:
            listing = await queries.crypto_partners(runtime_of(request), _cursor(request))
            return render(request, "crypto_partners.html", listing=listing)

        return await page(request, build)

    @app.post("/crypto/partners")
    async def crypto_partner_create(request: Request) -> Response:
        runtime = runtime_of(request)
        return await act(
            request,
            "crypto.create_partner",
            "-",
            lambda form: crypto.create_partner(runtime, form),
            "/console/crypto/partners",
            lambda created: (
                f"/console/crypto/partners/{created['id']}",
                done("Partner created", secrets={"API key": created["api_key"]}),
            ),
        )

    @app.get("/crypto/partners/{partner_id}")
    async def crypto_partner(request: Request, partner_id: str) -> Response:
        async def build() -> Response:
            partner = await crypto.get_partner(runtime_of(request), partner_id)
            return render(request, "crypto_partner.html", partner=partner)

        return await page(request, build)

    @app.post("/crypto/partners/{partner_id}/settings")
    async def crypto_partner_settings(request: Request, partner_id: str) -> Response:
        runtime = runtime_of(request)
        back = f"/console/crypto/partners/{partner_id}"
        return await act(
            request,
            "crypto.update_partner",
            partner_id,
            lambda form: crypto.update_partner(runtime, partner_id, form),
            back,
            lambda _: (back, done("Partner saved")),
        )

    @app.get("/crypto/assets")
    async def crypto_assets(request: Request) -> Response:
        async def build() -> Response:
            return render(request, "crypto_assets.html", catalogue=await queries.crypto_catalogue(runtime_of(request)))

        return await page(request, build)

    @app.post("/crypto/prices")
    async def crypto_price(request: Request) -> Response:
        runtime = runtime_of(request)
        back = "/console/crypto/assets"
        currency = str((await request.form()).get("currency") or "")
        return await act(
            request,
            "crypto.set_price",
            currency,
            lambda form: crypto.set_price(runtime, currency, form),
            back,
            lambda price: (back, done(f"Price of {price['currency']} in {price['quote_currency']} saved")),
        )

    @app.post("/crypto/assets")
    async def crypto_asset_put(request: Request) -> Response:
        runtime = runtime_of(request)
        currency = str((await request.form()).get("currency") or "").strip()
        back = "/console/crypto/assets"
        return await act(
            request,
            "crypto.put_asset",
            currency,
            lambda form: crypto.put_asset(runtime, currency, form),
            back,
            lambda result: (back, done(f"Asset {currency} {'created' if result[0] == 201 else 'replaced'}")),
        )

    @app.post("/crypto/investments")
    async def crypto_investment_put(request: Request) -> Response:
        runtime = runtime_of(request)
        investment_id = str((await request.form()).get("id") or "").strip()
        back = "/console/crypto/investments"
        return await act(
            request,
            "crypto.put_investment",
            investment_id,
            lambda form: crypto.put_investment(runtime, investment_id, form),
            back,
            lambda result: (back, done(f"Investment {investment_id} {'created' if result[0] == 201 else 'replaced'}")),
        )

    @app.get("/crypto/investments")
    async def crypto_investments(request: Request) -> Response:
        async def build() -> Response:
            runtime = runtime_of(request)
            catalogue = await queries.crypto_catalogue(runtime)
            positions = await queries.crypto_positions(runtime)
            return render(request, "crypto_investments.html", catalogue=catalogue, positions=positions)

        return await page(request, build)

    @app.get("/crypto/customers")
    async def crypto_customers(request: Request) -> Response:
        async def build() -> Response:
            state, q, waiting = _arg(request, "state"), _arg(request, "q"), _arg(request, "waiting") == "1"
            listing = await queries.crypto_customers(runtime_of(request), state, q, _cursor(request), waiting=waiting)
            return render(
                request, "crypto_customers.html", listing=listing, state=state or "", q=q or "", waiting=waiting
            )

        return await page(request, build)

    @app.get("/crypto/customers/{customer_id}")
    async def crypto_customer(request: Request, customer_id: str) -> Response:
        async def build() -> Response:
            runtime = runtime_of(request)
            customer = await crypto.get_customer(runtime, customer_id)
            accounts = await crypto.customer_accounts(runtime, customer_id)
            orders = await queries.crypto_orders(runtime, {"customer_id": customer_id}, _cursor(request))
            return render(request, "crypto_customer.html", customer=customer, accounts=accounts, orders=orders)

        return await page(request, build)

    def customer_action(name: str, path: str, call: Any, message: str) -> None:
        @app.post("/crypto/customers/{customer_id}/" + path, name=name)
        async def handler(request: Request, customer_id: str) -> Response:
            runtime = runtime_of(request)
            back = f"/console/crypto/customers/{customer_id}"
            extra = dict(request.path_params)

            async def run(form: FormData) -> Any:
                return await call(runtime, customer_id, form, **{k: v for k, v in extra.items() if k != "customer_id"})

            return await act(request, name, customer_id, run, back, lambda _: (back, done(message)))

    customer_action("crypto.change_state", "state", crypto.change_state, "State changed")
    customer_action("crypto.deposit", "deposits", crypto.deposit, "Deposit posted")

    @app.post("/crypto/customers/{customer_id}/requirements/{requirement_id}")
    async def crypto_review(request: Request, customer_id: str, requirement_id: str) -> Response:
        runtime = runtime_of(request)
        back = f"/console/crypto/customers/{customer_id}"
        return await act(
            request,
            "crypto.review_requirement",
            f"{customer_id}/{requirement_id}",
            lambda form: crypto.review_requirement(runtime, customer_id, requirement_id, form),
            back,
            lambda _: (back, done(f"Requirement {requirement_id} reviewed")),
        )

    @app.get("/crypto/orders")
    async def crypto_orders(request: Request) -> Response:
        async def build() -> Response:
            filters = {name: _arg(request, name) for name in ("state", "operation", "customer_id")}
            listing = await queries.crypto_orders(runtime_of(request), filters, _cursor(request))
            return render(request, "crypto_orders.html", listing=listing, filters=filters)

        return await page(request, build)

    @app.get("/crypto/orders/{order_id}")
    async def crypto_order(request: Request, order_id: str) -> Response:
        async def build() -> Response:
            runtime = runtime_of(request)
            order = await crypto.get_order(runtime, order_id)
            postings = await queries.order_postings(runtime, order_id)
            deliveries = await queries.crypto_deliveries(runtime, None, None, order_id=order_id)
            return render(request, "crypto_order.html", order=order, postings=postings, deliveries=deliveries)

        return await page(request, build)

    @app.post("/crypto/orders/{order_id}/fail")
    async def crypto_fail(request: Request, order_id: str) -> Response:
        runtime = runtime_of(request)
        back = f"/console/crypto/orders/{order_id}"
        return await act(
            request,
            "crypto.fail_send",
            order_id,
            lambda form: crypto.fail_send(runtime, order_id, form),
            back,
            lambda order: (back, done(f"Send failed: order is {order['state']}, funds refunded")),
        )

    @app.get("/crypto/authorizations")
    async def crypto_authorizations(request: Request) -> Response:
        async def build() -> Response:
            listing = await queries.crypto_authorizations(runtime_of(request), _cursor(request))
            return render(request, "crypto_authorizations.html", listing=listing)

        return await page(request, build)

    @app.get("/crypto/mail")
    async def crypto_mail(request: Request) -> Response:
        async def build() -> Response:
            to = _arg(request, "to")
            messages = await crypto.mail_outbox(runtime_of(request), to, 100)
            return render(request, "crypto_mail.html", messages=messages, to=to or "")

        return await page(request, build)

    @app.get("/crypto/ledger")
    async def crypto_ledger(request: Request) -> Response:
        async def build() -> Response:
            return render(request, "crypto_ledger.html", ledger=runtime_of(request).extras.get(LAST_LEDGER_CHECK))

        return await page(request, build)

    @app.post("/crypto/ledger")
    async def crypto_ledger_run(request: Request) -> Response:
        runtime = runtime_of(request)

        async def run(form: FormData) -> dict[str, Any]:
            result = await crypto.ledger_check(runtime)
            runtime.extras[LAST_LEDGER_CHECK] = {**result, "at": runtime.clock.now()}
            return result

        return await act(
            request,
            "crypto.ledger_check",
            "-",
            run,
            "/console/crypto/ledger",
            lambda r: ("/console/crypto/ledger", done("Balanced" if r["balanced"] else "NOT balanced")),
        )


# --------------------------------------------------------------------------- webhooks


def _webhooks(app: FastAPI) -> None:
    @app.get("/webhooks")
    async def webhooks(request: Request) -> Response:
        async def build() -> Response:
            runtime = runtime_of(request)
            state = _arg(request, "state")
            auto_page = await queries.auto_deliveries(runtime, state, _arg(request, "auto_cursor"))
            crypto_page = await queries.crypto_deliveries(runtime, state, _arg(request, "crypto_cursor"))
            return render(request, "webhooks.html", auto=auto_page, crypto=crypto_page, state=state or "")

        return await page(request, build)

    @app.post("/webhooks/auto/{event_id}/redeliver")
    async def auto_redeliver(request: Request, event_id: str) -> Response:
        runtime = runtime_of(request)
        back = await _back(request)
        return await act(
            request,
            "auto.redeliver",
            event_id,
            lambda form: auto.redeliver(runtime, event_id),
            back,
            lambda _: (back, done(f"Webhook event {event_id} queued for delivery")),
        )

    @app.post("/webhooks/crypto/{delivery_id}/redeliver")
    async def crypto_redeliver(request: Request, delivery_id: str) -> Response:
        runtime = runtime_of(request)
        back = await _back(request)
        return await act(
            request,
            "crypto.redeliver",
            delivery_id,
            lambda form: crypto.redeliver(runtime, delivery_id),
            back,
            lambda _: (back, done(f"Webhook delivery {delivery_id} queued for delivery")),
        )


async def _back(request: Request) -> str:
    """The console page a form came from (only a /console path: no open redirect)."""
    back = (await request.form()).get("back")
    if isinstance(back, str) and back.startswith("/console/") and "//" not in back and "\\" not in back:
        return back
    return "/console/webhooks"
