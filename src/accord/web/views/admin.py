"""Administration: organizations, users, API keys, sharing groups and TAXII collections.

Each page calls the services, which apply the write rules; the pages only hide what a
role cannot do, and answer the services' refusals in words.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from accord.errors import Conflict, Forbidden, Invalid, NotFound
from accord.identity.models import Role
from accord.identity.service import (
    add_user,
    api_keys_visible_to,
    get_user,
    issue_api_key,
    parse_role,
    remove_totp,
    reset_password,
    revoke_api_key,
    update_user,
    users_visible_to,
)
from accord.organizations.models import OrgKind
from accord.organizations.service import add_organization, get_organization, list_organizations
from accord.sharing.rules import (
    can_assign_role,
    can_create_group,
    can_manage_group,
    can_manage_organizations,
)
from accord.sharing.service import (
    add_group,
    add_member,
    get_group,
    groups_visible_to,
    remove_member,
)
from accord.taxii.service import (
    all_collections,
    create_collection,
    delete_collection,
    update_collection,
)
from accord.web.i18n import gettext as _
from accord.web.routing import Me, WebUser, form_of, web_session
from accord.web.templating import render
from accord.web.views.common import field, redirect, web_router
from accord.web.words import KIND_NAMES, ROLE_NAMES

router = web_router()


def _administrator(me: WebUser) -> None:
    if not me.can_administer:
        raise Forbidden("administration is for node and organization administrators")


@router.get("/admin")
def admin_home(request: Request, me: Me) -> Response:
    _administrator(me)
    return redirect("/admin/users")


# --- organizations ---------------------------------------------------------------------


def _organizations(
    request: Request,
    me: WebUser,
    error: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    with request.app.state.db.read() as session:
        orgs = list_organizations(session)
        rows = [(o, o.is_local) for o in orgs]
    return render(
        request,
        "admin/organizations.html",
        {
            "rows": rows,
            "kinds": KIND_NAMES,
            "may_add": can_manage_organizations(me.principal),
            "error": error,
            "values": values or {"name": "", "country": "", "kind": OrgKind.MEMBER.value},
        },
        status,
    )


@router.get("/admin/organizations")
def organizations(request: Request, me: Me) -> Response:
    _administrator(me)
    return _organizations(request, me)


@router.post("/admin/organizations")
def create_organization(request: Request, me: Me) -> Response:
    _administrator(me)
    form = form_of(request)
    values = {k: field(form, k) for k in ("name", "country", "kind")}
    try:
        kind = OrgKind(values["kind"])
    except ValueError:
        return _organizations(request, me, _("Choose a kind of organization."), 422, values)
    try:
        with request.app.state.db.write() as session:
            org = add_organization(session, me.principal, values["name"], values["country"], kind)
    except Conflict:
        return _organizations(
            request, me, _("An organization with this name exists already."), 422, values
        )
    except Invalid:
        return _organizations(
            request,
            me,
            _("Give a name and a two-letter country code (ISO 3166), such as NS."),
            422,
            values,
        )
    web_session(request).flash("success", _("Organization %(name)s added.") % {"name": org.name})
    return redirect("/admin/organizations")


# --- users -------------------------------------------------------------------------------


def _users(
    request: Request, me: WebUser, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    with request.app.state.db.read() as session:
        users = users_visible_to(session, me.principal)
        orgs = [
            o
            for o in list_organizations(session)
            if o.is_local and (me.is_admin or o.id == me.org_id)
        ]
    roles = [r for r in Role if can_assign_role(me.principal, r)]
    context: dict[str, Any] = {
        "users": users,
        "orgs": orgs,
        "roles": roles,
        "role_names": ROLE_NAMES,
        "error": None,
        "created": None,
        "reset": None,
        "values": {"email": "", "org": me.org_id, "role": Role.ANALYST.value},
    }
    context.update(extra or {})
    return render(request, "admin/users.html", context, status)


@router.get("/admin/users")
def users(request: Request, me: Me) -> Response:
    _administrator(me)
    return _users(request, me)


@router.post("/admin/users")
def create_user(request: Request, me: Me) -> Response:
    _administrator(me)
    form = form_of(request)
    values = {k: field(form, k) for k in ("email", "org", "role")}
    try:
        role = parse_role(values["role"])
        with request.app.state.db.write() as session:
            org = get_organization(session, values["org"])
            new = add_user(session, me.principal, values["email"], org, role)
            created = {"email": new.user.email, "password": new.password}
    except Conflict:
        return _users(
            request,
            me,
            {"error": _("A user with this e-mail address exists already."), "values": values},
            422,
        )
    except Invalid:
        return _users(
            request,
            me,
            {"error": _("Enter a valid e-mail address and choose a role."), "values": values},
            422,
        )
    return _users(request, me, {"created": created})


@router.post("/admin/users/{user_id}")
def change_user(request: Request, me: Me, user_id: str) -> Response:
    _administrator(me)
    form = form_of(request)
    action = field(form, "action")
    session_ = web_session(request)
    extra: dict[str, Any] = {}
    with request.app.state.db.write() as session:
        email = get_user(session, me.principal, user_id).email
        if action == "role":
            update_user(session, me.principal, user_id, role=parse_role(field(form, "role")))
            session_.flash(
                "success", _("The role of %(email)s has been changed.") % {"email": email}
            )
        elif action in ("disable", "enable"):
            if action == "disable" and user_id == me.user_id:
                raise Invalid("you cannot disable your own account")
            update_user(session, me.principal, user_id, is_active=action == "enable")
            message = (
                _("%(email)s can no longer sign in.")
                if action == "disable"
                else _("%(email)s can sign in again.")
            )
            session_.flash("success", message % {"email": email})
        elif action == "reset":
            _user, password = reset_password(session, me.principal, user_id)
            extra = {"reset": {"email": email, "password": password}}
        elif action == "totp":
            remove_totp(session, me.principal, user_id)
            session_.flash(
                "success",
                _("Two-step verification of %(email)s has been removed.") % {"email": email},
            )
        else:
            raise Invalid(f"unknown action {action!r}")
    if extra:
        return _users(request, me, extra)
    return redirect("/admin/users")


# --- API keys ----------------------------------------------------------------------------


def _keys(request: Request, me: WebUser, created: dict[str, str] | None = None) -> Response:
    with request.app.state.db.read() as session:
        keys = api_keys_visible_to(session, me.principal)
        owners = users_visible_to(session, me.principal) if me.can_administer else []
    return render(
        request,
        "admin/keys.html",
        {"keys": keys, "owners": owners, "created": created},
    )


@router.get("/keys")
def keys(request: Request, me: Me) -> Response:
    return _keys(request, me)


@router.post("/keys")
def create_key(request: Request, me: Me) -> Response:
    form = form_of(request)
    owner = field(form, "user") or me.user_id
    with request.app.state.db.write() as session:
        new = issue_api_key(session, me.principal, owner, field(form, "name"))
        email = get_user(session, me.principal, owner).email
        created = {"key": new.secret, "email": email, "name": new.key.name}
    return _keys(request, me, created)


@router.post("/keys/{key_id}/revoke")
def revoke_key(request: Request, me: Me, key_id: str) -> Response:
    with request.app.state.db.write() as session:
        key = revoke_api_key(session, me.principal, key_id)
        prefix = key.prefix
    web_session(request).flash(
        "success", _("The key %(prefix)s… has been revoked.") % {"prefix": prefix}
    )
    return redirect("/keys")


# --- sharing groups ------------------------------------------------------------------------


@router.get("/groups")
def groups(request: Request, me: Me) -> Response:
    with request.app.state.db.read() as session:
        visible = groups_visible_to(session, me.principal)
        orgs = [o for o in list_organizations(session) if o.id != me.org_id]
    return render(
        request,
        "admin/groups.html",
        {
            "groups": visible,
            "orgs": orgs,
            "may_create": can_create_group(me.principal),
            "error": None,
        },
    )


@router.post("/groups")
def create_group(request: Request, me: Me) -> Response:
    form = form_of(request)
    name, description = field(form, "name"), field(form, "description")
    member_ids = {v for v in form.getlist("members") if isinstance(v, str)}
    try:
        with request.app.state.db.write() as session:
            members = [o for o in list_organizations(session) if o.id in member_ids]
            group = add_group(session, me.principal, name, members, description)
            group_id = group.id
    except Invalid:
        web_session(request).flash("error", _("Give the group a name (200 characters at most)."))
        return redirect("/groups")
    web_session(request).flash("success", _("Sharing group %(name)s created.") % {"name": name})
    return redirect(f"/groups/{group_id}")


@router.get("/groups/{group_id}")
def group(request: Request, me: Me, group_id: str) -> Response:
    with request.app.state.db.read() as session:
        found = get_group(session, me.principal, group_id)
        owner = get_organization(session, found.owner_org_id)
        members = list(found.members)
        nodes = list(found.nodes)
        others = [o for o in list_organizations(session) if o not in members]
        may_manage = can_manage_group(me.principal, found.owner_org_id)
    return render(
        request,
        "admin/group.html",
        {
            "group": found,
            "owner": owner,
            "members": members,
            "nodes": nodes,
            "others": others,
            "may_manage": may_manage,
        },
    )


@router.post("/groups/{group_id}/members")
def add_group_member(request: Request, me: Me, group_id: str) -> Response:
    with request.app.state.db.write() as session:
        org = get_organization(session, field(form_of(request), "org"))
        add_member(session, me.principal, group_id, org)
        name = org.name
    web_session(request).flash("success", _("%(name)s added to the group.") % {"name": name})
    return redirect(f"/groups/{group_id}")


@router.post("/groups/{group_id}/members/{org_id}/remove")
def remove_group_member(request: Request, me: Me, group_id: str, org_id: str) -> Response:
    with request.app.state.db.write() as session:
        org = get_organization(session, org_id)
        remove_member(session, me.principal, group_id, org)
        name = org.name
    web_session(request).flash("success", _("%(name)s removed from the group.") % {"name": name})
    return redirect(f"/groups/{group_id}")


# --- TAXII collections -------------------------------------------------------------------

COLLECTION_FIELDS = ("title", "description", "types", "labels", "group")


def _node_admin(me: WebUser) -> None:
    if not me.is_admin:
        raise Forbidden("TAXII collections are for node administrators")


def _words(text: str) -> list[str]:
    """A list typed as words separated by commas or spaces."""
    return [w for w in text.replace(",", " ").split() if w]


def _collections(
    request: Request, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    with request.app.state.db.read() as session:
        collections = all_collections(session)
        groups = {g.id: g.name for g in groups_visible_to(session, request.state.me.principal)}
    context: dict[str, Any] = {
        "collections": collections,
        "groups": groups,
        "roles": list(Role),
        "error": None,
        "editing": None,
        "values": {
            **dict.fromkeys(COLLECTION_FIELDS, ""),
            "read": [r.value for r in Role],
            "write": [],
        },
    }
    context.update(extra or {})
    return render(request, "admin/collections.html", context, status)


def _collection_form(request: Request) -> dict[str, Any]:
    form = form_of(request)
    values: dict[str, Any] = {k: field(form, k) for k in COLLECTION_FIELDS}
    for key in ("read", "write"):
        values[key] = [v for v in form.getlist(key) if isinstance(v, str)]
    return values


def _collection_error(exc: Exception) -> str:
    if isinstance(exc, Conflict):
        return _("A collection with this title exists already.")
    if isinstance(exc, NotFound):
        return _("Choose a sharing group from the list.")
    return _("Give the collection a title (200 characters at most) and choose known roles.")


def _saved(request: Request, values: dict[str, Any], collection_id: str | None) -> str:
    """Create or update the collection the form describes; returns its title."""
    properties: dict[str, Any] = {
        "description": values["description"],
        "types": _words(values["types"]),
        "labels": _words(values["labels"]),
        "sharing_group_id": values["group"] or None,
        "read_roles": values["read"],
        "write_roles": values["write"],
    }
    actor = request.state.me.principal.actor
    with request.app.state.db.write() as session:
        if collection_id is None:
            found = create_collection(session, actor, values["title"], **properties)
        else:
            found = update_collection(session, actor, collection_id, values["title"], **properties)
        return found.title


@router.get("/admin/collections")
def collections(request: Request, me: Me) -> Response:
    _node_admin(me)
    return _collections(request)


@router.post("/admin/collections")
def add_collection(request: Request, me: Me) -> Response:
    _node_admin(me)
    values = _collection_form(request)
    try:
        title = _saved(request, values, None)
    except (Conflict, Invalid, NotFound) as exc:
        return _collections(request, {"error": _collection_error(exc), "values": values}, 422)
    web_session(request).flash("success", _("Collection %(title)s added.") % {"title": title})
    return redirect("/admin/collections")


@router.get("/admin/collections/{collection_id}")
def collection(request: Request, me: Me, collection_id: str) -> Response:
    _node_admin(me)
    with request.app.state.db.read() as session:
        found = next((c for c in all_collections(session) if c.id == collection_id), None)
        if found is None:
            raise NotFound(f"no collection {collection_id}")
        values = {
            "title": found.title,
            "description": found.description,
            "types": ", ".join(found.types),
            "labels": ", ".join(found.labels),
            "group": found.sharing_group_id or "",
            "read": list(found.read_roles),
            "write": list(found.write_roles),
        }
    return _collections(request, {"editing": collection_id, "values": values})


@router.post("/admin/collections/{collection_id}")
def change_collection(request: Request, me: Me, collection_id: str) -> Response:
    _node_admin(me)
    values = _collection_form(request)
    try:
        title = _saved(request, values, collection_id)
    except (Conflict, Invalid, NotFound) as exc:
        extra = {"error": _collection_error(exc), "values": values, "editing": collection_id}
        return _collections(request, extra, 422)
    web_session(request).flash("success", _("Collection %(title)s saved.") % {"title": title})
    return redirect("/admin/collections")


@router.post("/admin/collections/{collection_id}/delete")
def remove_collection(request: Request, me: Me, collection_id: str) -> Response:
    _node_admin(me)
    with request.app.state.db.write() as session:
        title = delete_collection(session, me.principal.actor, collection_id)
    web_session(request).flash("success", _("Collection %(title)s deleted.") % {"title": title})
    return redirect("/admin/collections")
