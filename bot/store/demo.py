"""Realistic demo shipments, in the import format (docs/shipment.schema.json).

Demo data goes through the same importer as real data. Every demo set starts
with the ``SHOWCASE`` parcels: fixed tracking numbers, recipients and
situations, whatever the seed, so tests, the README and chat demos can name
them. Their dates (like every date here) are relative to ``now``, so a demo
database is always "current". The records after the showcase first walk a
coverage plan (every carrier, service, status, exception type and customs
status appears in a set of 40 records or more), then are drawn at random.

Times are written in China time (+08:00); tracking numbers follow the formats
of ``tracking_numbers.CARRIER_PATTERNS`` (with real check digits for UPU S10,
UPS 1Z and DHL numbers).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.clock import CHINA_TZ
from bot.contract import SHIPMENT_CUSTOMER_TIERS
from bot.store.demo_data import (
    CARRIER_WEIGHTS,
    CARRIERS,
    CN_CITIES,
    COMPOUNDS,
    COVERAGE_SPECS,
    CUSTOMS_DOCUMENT_SETS,
    DELAY_REASONS,
    DIALLING_CODES,
    DOMESTIC_GOODS,
    FAILED_DELIVERY_REASONS,
    FLIGHTS,
    FOREIGN_PLACES,
    FOREIGN_SENDERS,
    GIVEN_NAMES,
    INTERNATIONAL_GOODS,
    LOCKER_BRANDS,
    MERCHANTS,
    MOBILE_PREFIXES,
    PORTS,
    REASONS,
    REMOTE_PLACES,
    SHOWCASE_SPECS,
    SIGNERS,
    STATION_BRANDS,
    STATUS_WEIGHTS_DOMESTIC,
    STATUS_WEIGHTS_INBOUND,
    SURNAMES,
    TOWERS,
    CarrierInfo,
    Place,
    Spec,
    cn,
)

# --------------------------------------------------------------------------- tracking numbers


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def s10_check_digit(serial8: str) -> int:
    """UPU S10 check digit of the 8-digit serial."""
    total = sum(int(d) * w for d, w in zip(serial8, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def ups_check_digit(body15: str) -> int:
    """Check digit of a UPS 1Z number, from the 15 characters after 1Z."""
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body15]
    total = sum(values[0::2]) + 2 * sum(values[1::2])
    return (10 - total % 10) % 10


def make_tracking_number(rng: random.Random, carrier: str, country: str = "CN") -> str:
    """A random number in the carrier's format (see CARRIER_PATTERNS)."""
    if carrier == "SF":
        return "SF1" + _digits(rng, 12)
    if carrier == "JD":
        return "JDV" + rng.choice("ABCDE") + _digits(rng, 11)
    if carrier == "ZTO":
        return "7" + rng.choice("3456") + _digits(rng, 10)
    if carrier == "YTO":
        return "YT" + rng.choice("2345678") + _digits(rng, 12)
    if carrier == "YUNDA":
        return rng.choice(("31", "43", "46", "51")) + _digits(rng, 11)
    if carrier == "STO":
        return "773" + _digits(rng, 12)
    if carrier == "EMS":
        serial = _digits(rng, 8)
        return "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + serial + str(s10_check_digit(serial)) + country
    if carrier == "CNPOST":
        return "98" + _digits(rng, 11)
    if carrier == "UPS":
        body = (
            "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTVWXY") for _ in range(6))
            + rng.choice(("01", "02", "03", "66", "67"))
            + _digits(rng, 7)
        )
        return "1Z" + body + str(ups_check_digit(body))
    if carrier == "DHL":
        serial = rng.choice("123456789") + _digits(rng, 8)
        return serial + str(int(serial) % 7)
    if carrier == "FEDEX":
        return rng.choice(("39", "78", "79")) + _digits(rng, 10)
    raise ValueError(f"unknown carrier {carrier!r}")


# --------------------------------------------------------------------------- timeline

_SAME_PLACE = "\x00same"  # a step's location: where the previous step was


@dataclass
class _Step:
    status: str
    location: str
    description: str
    gap: tuple[float, float]  # hours after the previous step


@dataclass
class _Draft:
    """A record being built."""

    spec: Spec
    carrier: CarrierInfo
    origin: Place
    destination: Place
    exception_reason: str | None = None
    customs_status: str | None = None


def _iso(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


class _Maker:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now

    # ---- people and places

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + _digits(self.rng, 8)

    def cn_place(self, exclude_city: str | None = None) -> Place:
        cities = [c for c in CN_CITIES if c != exclude_city]
        city = self.rng.choice(cities)
        district, roads = self.rng.choice(CN_CITIES[city])
        return cn(city, district, self.rng.choice(roads))

    def same_city_place(self, place: Place) -> Place:
        districts = CN_CITIES.get(place.city, ((place.district, (place.road,)),))
        others = [d for d in districts if d[0] != place.district] or list(districts)
        district, roads = self.rng.choice(others)
        return cn(place.city, district, self.rng.choice(roads))

    def address(self, place: Place) -> str:
        rng = self.rng
        if place.country_code != "CN":
            return f"{place.city} {rng.randint(1, 999)} {place.road}"
        if rng.random() < 0.25:
            return f"{place.label}{place.road}{rng.randint(1, 400)}号{rng.choice(TOWERS)}大厦{rng.randint(2, 38)}层"
        return (
            f"{place.label}{place.road}{rng.randint(1, 400)}号{rng.choice(COMPOUNDS)}"
            f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
        )

    def station(self, carrier: CarrierInfo, place: Place) -> str:
        return f"{place.district}{place.road[:2]}{carrier.station_suffix}"

    def hub(self, carrier: CarrierInfo, place: Place) -> str:
        return f"{place.hub_city}{carrier.hub_suffix}"

    def courier_name(self) -> str:
        """王师傅: how scans name couriers; never a customer's full name."""
        return f"{self.name()[0]}师傅"

    def courier(self) -> str:
        return f"{self.courier_name()}（{self.phone()}）"

    # ---- route steps

    def domestic_steps(self, d: _Draft) -> list[_Step]:
        c, o, dest = d.carrier, d.origin, d.destination
        outlet, o_hub, d_hub, station = self.station(c, o), self.hub(c, o), self.hub(c, dest), self.station(c, dest)
        steps = [
            _Step(
                "created",
                o.label,
                self.rng.choice(("寄件人已下单，等待快递员上门揽收", "商家已通知快递公司揽收")),
                (0, 0),
            ),
            _Step("picked_up", o.label, f"【{outlet}】快递员 {self.courier_name()} 已揽收", (1, 8)),
            _Step("in_transit", o.label, f"【{outlet}】已发出，下一站【{o_hub}】", (1, 4)),
        ]
        if d.spec.service == "same_city" or o_hub == d_hub:
            steps.append(_Step("arrived_at_hub", dest.city, f"快件已到达【{d_hub}】", (1, 3)))
        else:
            steps.append(_Step("in_transit", o.city, f"快件已到达【{o_hub}】", (1, 3)))
            steps.append(_Step("in_transit", o.city, f"【{o_hub}】已发出，下一站【{d_hub}】", (1, 4)))
            steps.append(_Step("arrived_at_hub", dest.city, f"快件已到达【{d_hub}】", (6, 20)))
        steps += self.last_mile_steps(d, d_hub, station)
        return steps

    def last_mile_steps(self, d: _Draft, d_hub: str, station: str) -> list[_Step]:
        dest = d.destination
        return [
            _Step("in_transit", dest.city, f"【{d_hub}】已发出，下一站【{station}】", (1, 4)),
            _Step("arrived_at_hub", dest.label, f"快件已到达【{station}】", (1, 4)),
            _Step(
                "out_for_delivery",
                dest.label,
                f"【{station}】派件员 {self.courier()} 正在为您派件，请保持电话畅通",
                (0.5, 3),
            ),
        ]

    def inbound_steps(self, d: _Draft) -> list[_Step]:
        c, o, dest = d.carrier, d.origin, d.destination
        port, port_city = self.port_for(dest)
        foreign_hub = f"{o.hub_city}国际处理中心"
        steps = [
            _Step("created", o.city, "已收到发件人的运单信息，等待交运", (0, 0)),
            _Step("picked_up", o.city, f"快件已由{c.name}在【{o.hub_city}】收件", (2, 10)),
            _Step("in_transit", o.city, f"快件已到达【{foreign_hub}】", (2, 8)),
            _Step(
                "in_transit", o.city, f"快件已离开【{foreign_hub}】，航班 {self.rng.choice(FLIGHTS)} 飞往中国", (3, 12)
            ),
            _Step("arrived_at_hub", port_city, f"快件已到达【{port}】，等待进口清关", (10, 16)),
            _Step("customs_clearance", port_city, "快件已提交海关，正在办理进口清关", (1, 6)),
        ]
        if d.customs_status in ("held", "duty_unpaid"):
            steps.append(_Step("customs_hold", port_city, f"清关受阻：{d.exception_reason}", (4, 30)))
        steps.append(_Step("customs_clearance", port_city, "海关已放行，清关完成", (4, 30)))
        d_hub = self.hub(CARRIERS["EMS"] if c.code == "EMS" else c, dest)
        steps.append(_Step("in_transit", port_city, f"快件已移交国内派送网络，下一站【{d_hub}】", (2, 6)))
        steps.append(_Step("arrived_at_hub", dest.city, f"快件已到达【{d_hub}】", (4, 18)))
        steps += self.last_mile_steps(d, d_hub, self.station(c, dest))
        return steps

    def outbound_steps(self, d: _Draft) -> list[_Step]:
        c, o, dest = d.carrier, d.origin, d.destination
        _port, port_city = self.port_for(o)
        exchange = f"{o.hub_city}国际邮件互换局"
        return [
            _Step("created", o.label, "寄件人已下单，等待揽收", (0, 0)),
            _Step("picked_up", o.label, f"【{self.station(c, o)}】已收寄", (1, 6)),
            _Step("in_transit", o.city, f"快件已到达【{exchange}】", (3, 10)),
            _Step("customs_clearance", o.city, "快件正在办理出口清关", (1, 6)),
            _Step("in_transit", o.city, "出口清关完成，快件已发出", (3, 20)),
            _Step(
                "in_transit",
                port_city,
                f"快件已交航空公司运输，航班 {self.rng.choice(FLIGHTS)} 飞往{dest.hub_city}",
                (3, 12),
            ),
            _Step("arrived_at_hub", dest.city, f"快件已到达寄达国【{dest.hub_city}国际邮件处理中心】", (4, 14)),
            _Step("customs_clearance", dest.city, "寄达国海关正在处理", (2, 24)),
            _Step("out_for_delivery", dest.city, "寄达国投递员正在投递", (6, 30)),
        ]

    def port_for(self, place: Place) -> tuple[str, str]:
        for port, city in PORTS:
            if city == place.city:
                return port, city
        return self.rng.choice(PORTS)


# --------------------------------------------------------------------------- cutting the route by status


def _index(steps: list[_Step], status: str, *, last: bool = False) -> int:
    found = [i for i, s in enumerate(steps) if s.status == status]
    if not found:
        raise ValueError(f"no {status} step")
    return found[-1] if last else found[0]


def _in_transit_cut(m: _Maker, d: _Draft, steps: list[_Step]) -> list[_Step]:
    if d.spec.direction == "outbound":
        return steps[:6] if d.customs_status == "cleared" else steps[:3]
    if d.spec.direction == "inbound" and d.customs_status != "cleared":
        return steps[: m.rng.randint(3, 4)]
    first_transit = _index(steps, "in_transit")
    if d.customs_status == "cleared":
        first_transit = _index(steps, "customs_clearance", last=True) + 1
    last_transit = _index(steps, "out_for_delivery") - 2  # "...已发出，下一站【station】"
    candidates = [i for i in range(first_transit, last_transit + 1) if steps[i].status == "in_transit"]
    return steps[: m.rng.choice(candidates) + 1]


def _cut(m: _Maker, d: _Draft, steps: list[_Step]) -> list[_Step]:
    """The events a parcel in the spec's status has had so far."""
    status, exception = d.spec.status, d.spec.exception
    if status in ("created", "cancelled"):
        return steps[:1]
    if status == "picked_up":
        return steps[:2]
    if status == "in_transit":
        return _in_transit_cut(m, d, steps)
    if status == "arrived_at_hub":
        choices = [i for i, s in enumerate(steps) if s.status == "arrived_at_hub"]
        if d.spec.direction == "inbound" and d.customs_status == "cleared":
            choices = choices[1:]
        elif d.spec.direction == "inbound":
            choices = choices[:1]
        return steps[: m.rng.choice(choices) + 1]
    if status == "customs_clearance":
        return steps[: _index(steps, "customs_clearance") + 1]
    if status == "customs_hold":
        return steps[: _index(steps, "customs_hold") + 1]
    if status == "exception" and exception in ("lost",):
        return _in_transit_cut(m, d, steps)
    if status == "exception" and exception in ("damaged", "out_of_area"):
        return steps[: _index(steps, "arrived_at_hub", last=True) + 1]
    return steps[: _index(steps, "out_for_delivery") + 1]


def _final_steps(m: _Maker, d: _Draft, signer_text: str) -> list[_Step]:
    """Events after the route: delivery, failure, exception, return."""
    spec, dest = d.spec, d.destination
    station = m.station(d.carrier, dest)
    reason = d.exception_reason
    status = spec.status
    if status == "delivered":
        return [_Step("delivered", dest.label, signer_text, (0.3, 3))]
    if status == "cancelled":
        return [_Step("cancelled", d.origin.label, "寄件订单已取消", (0.5, 12))]
    if status == "delivery_failed" and reason:
        return [_Step("delivery_failed", dest.label, f"派送不成功：{reason}", (1, 5))]
    if status == "delivery_failed":
        why = m.rng.choice(FAILED_DELIVERY_REASONS)
        return [
            _Step(
                "delivery_failed", dest.label, f"派送不成功：{why}，快件已退回【{station}】，将于明日再次派送", (1, 5)
            )
        ]
    if status == "exception":
        return [_Step("exception", _SAME_PLACE, f"快件异常：{reason}", (2, 20))]
    if status in ("returning", "returned"):
        why = reason or "收件人拒收"
        o_hub = m.hub(d.carrier, d.origin)
        back = [
            _Step("delivery_failed", dest.label, f"派送不成功：{why}", (1, 5)),
            _Step("returning", dest.label, "快件已开始退回寄件人", (2, 10)),
            _Step("returning", dest.city, f"【{m.hub(d.carrier, dest)}】已发出，下一站【{o_hub}】", (3, 12)),
        ]
        if status == "returned":
            back.append(_Step("returned", d.origin.label, "快件已退回寄件人，签收人：寄件人本人", (10, 30)))
        return back
    if spec.exception == "delay" and reason:
        return [_Step(status, _SAME_PLACE, f"因{reason}，快件将延迟送达，给您带来不便敬请谅解", (0.5, 3))]
    return []


# --------------------------------------------------------------------------- records


_LAST_SCAN_HOURS: dict[str, tuple[float, float]] = {
    "created": (0.5, 10),
    "picked_up": (0.5, 6),
    "in_transit": (0.3, 8),
    "arrived_at_hub": (0.3, 6),
    "customs_clearance": (2, 30),
    "customs_hold": (12, 96),
    "out_for_delivery": (0.2, 3),
    "delivered": (1, 240),
    "delivery_failed": (2, 30),
    "exception": (3, 30),
    "returning": (2, 30),
    "returned": (24, 300),
    "cancelled": (2, 200),
}
_SERVICE_DAYS = {
    "express": (1, 2),
    "standard": (2, 4),
    "same_city": (0.2, 0.5),
    "cold_chain": (1, 2),
    "freight": (3, 6),
    "international": (6, 12),
}


def _timestamps(m: _Maker, steps: list[_Step], last_age_hours: float) -> list[datetime]:
    times = [(m.now - timedelta(minutes=round(last_age_hours * 60))).replace(second=0)]
    for step in reversed(steps[1:]):
        lo, hi = step.gap
        times.append(times[-1] - timedelta(minutes=round(m.rng.uniform(lo, hi) * 60)))
    times.reverse()
    return times


def _signed(m: _Maker, d: _Draft) -> tuple[dict[str, Any], str]:
    """Proof of delivery and the text of the delivered scan."""
    spec, dest, rng = d.spec, d.destination, m.rng
    signer = spec.signed_by or ("本人" if spec.direction == "outbound" else rng.choice(SIGNERS))
    compound = rng.choice(COMPOUNDS)
    code = spec.pickup_code
    if signer == "快递柜":
        location = spec.delivery_location or f"{rng.choice(LOCKER_BRANDS)}({dest.road}店)"
        code = code or _digits(rng, 6)
        # The pickup code is not in the scan text: it is shown only after verification.
        text = f"您的快件已放入【{location}】，请凭取件码及时取件"
    elif signer == "驿站代收点":
        location = spec.delivery_location or f"{rng.choice(STATION_BRANDS)}({compound}店)"
        code = code or f"{rng.randint(1, 9)}-{rng.randint(1, 6)}-{rng.randint(1000, 9999)}"
        text = f"您的快件已由【{location}】代收，请凭取件码及时取件"
    else:
        location = spec.delivery_location or {
            "前台": f"{rng.choice(TOWERS)}大厦前台",
            "门卫": f"{compound}门卫室",
        }.get(signer, dest.label)
        text = f"您的快件已签收，签收人：{signer}。感谢使用{d.carrier.name}，期待再次为您服务"
    delivery = {"signed_by": signer, "location": location}
    if code:
        delivery["pickup_code"] = code
    return delivery, text


def _party(m: _Maker, place: Place, name: str | None = None, phone: str | None = None) -> dict[str, str]:
    return {"name": name or m.name(), "phone": phone or m.phone(), "address": m.address(place)}


def _goods(m: _Maker, d: _Draft) -> tuple[str, float, float]:
    """Goods, declared value and weight."""
    rng, spec = m.rng, d.spec
    international = [(name, values, weights) for name, values, weights in INTERNATIONAL_GOODS]
    domestic = [
        (name, values, weights) for name, service, values, weights in DOMESTIC_GOODS if spec.service in (service, None)
    ]
    named = [g for g in international + [(g[0], g[2], g[3]) for g in DOMESTIC_GOODS] if g[0] == spec.goods]
    if named:
        goods, values, weights = named[0]
    elif spec.direction != "domestic":
        goods, values, weights = rng.choice(international)
    else:
        goods, values, weights = rng.choice(domestic or [(g[0], g[2], g[3]) for g in DOMESTIC_GOODS])
    value = spec.declared_value if spec.declared_value is not None else float(round(rng.uniform(*values)))
    return spec.goods or goods, value, round(rng.uniform(*weights), 2)


def _resolve(m: _Maker, spec: Spec) -> Spec:
    """Fill in the service, the exception reason source and places of a spec."""
    rng = m.rng
    service = spec.service
    if service is None:
        if spec.direction != "domestic":
            service = "international"
        elif spec.carrier in ("SF", "JD"):
            service = rng.choice(("express", "express", "standard", "same_city", "cold_chain", "freight"))
        else:
            service = "standard"
    origin, destination = spec.origin, spec.destination
    if spec.direction == "inbound":
        origin = origin or rng.choice(FOREIGN_PLACES)
        destination = destination or m.cn_place()
    elif spec.direction == "outbound":
        origin = origin or m.cn_place()
        destination = destination or rng.choice(FOREIGN_PLACES[:-1])
    else:
        origin = origin or m.cn_place()
        if destination is None:
            if spec.exception == "out_of_area":
                destination = rng.choice(REMOTE_PLACES)
            elif service == "same_city":
                destination = m.same_city_place(origin)
            else:
                destination = m.cn_place(exclude_city=origin.city)
    return replace(spec, service=service, origin=origin, destination=destination)


def _customs_status(spec: Spec) -> str | None:
    if spec.direction == "domestic":
        return None
    if spec.customs:
        return spec.customs
    if spec.status in ("created", "picked_up", "cancelled"):
        return "not_started"
    if spec.status == "customs_clearance":
        return "in_progress"
    if spec.status == "customs_hold":
        return "duty_unpaid" if spec.exception is None else "held"
    return "cleared"


def _exception_reason(m: _Maker, spec: Spec, customs: str | None, duty: float | None) -> str | None:
    if spec.reason:
        return spec.reason
    if spec.exception == "delay":
        return m.rng.choice(DELAY_REASONS)
    if customs == "duty_unpaid":
        return f"需缴纳进口税款 {duty:.2f} 元，缴税后安排清关放行"
    if spec.exception:
        return m.rng.choice(REASONS[spec.exception])
    return None


def build_record(m: _Maker, raw_spec: Spec) -> dict[str, Any]:
    """One record in the import format."""
    spec = _resolve(m, raw_spec)
    if spec.status == "customs_hold" and spec.exception is None:
        spec = replace(spec, exception="customs_hold")
    carrier = CARRIERS[spec.carrier]
    assert spec.origin is not None and spec.destination is not None
    customs = _customs_status(spec)
    duty = spec.duty_amount
    if spec.direction == "outbound":  # export: no import duty here
        pass
    elif duty is None and customs == "duty_unpaid":
        duty = round(m.rng.uniform(30, 1200), 2)
    elif duty is None and customs in ("held", "cleared"):
        duty = round(m.rng.uniform(30, 1200), 2) if m.rng.random() < 0.5 else 0.0
    d = _Draft(spec, carrier, spec.origin, spec.destination, customs_status=customs)
    d.exception_reason = _exception_reason(m, spec, customs, duty)
    route = {"inbound": m.inbound_steps, "outbound": m.outbound_steps}.get(spec.direction, m.domestic_steps)(d)
    recipient = _party(m, spec.destination, spec.recipient_name, spec.recipient_phone)
    delivery, signed_text = _signed(m, d) if spec.status == "delivered" else (None, "")
    steps = _cut(m, d, route) + _final_steps(m, d, signed_text)
    for previous, step in itertools.pairwise(steps):
        if step.location == _SAME_PLACE:
            step.location = previous.location
    age = spec.last_scan_hours if spec.last_scan_hours is not None else m.rng.uniform(*_LAST_SCAN_HOURS[spec.status])
    times = _timestamps(m, steps, age)
    goods, value, weight = _goods(m, d)
    record = _base_record(m, d, goods, value, weight)
    record["recipient"] = recipient
    record["events"] = [
        {
            "time": _iso(t),
            **({"location": s.location} if s.location else {}),
            "status": s.status,
            "description": s.description,
        }
        for s, t in zip(steps, times, strict=True)
    ]
    _add_dates(m, record, d, times)
    if delivery is not None:
        delivery["signed_at"] = _iso(times[-1])
        record["delivery"] = delivery
    if spec.exception:
        record["exception"] = _exception_record(m, d, times)
        if "new_eta" in record["exception"]:
            record["eta"] = record["exception"]["new_eta"]
    if customs:
        record["customs"] = _customs_record(m, d, duty)
    return record


def _base_record(m: _Maker, d: _Draft, goods: str, value: float, weight: float) -> dict[str, Any]:
    spec, rng = d.spec, m.rng
    tier = spec.customer_tier or rng.choices([t.value for t in SHIPMENT_CUSTOMER_TIERS], (80, 15, 5))[0]
    sender = _party(m, d.origin)
    if spec.direction == "inbound":
        sender["name"] = rng.choice(FOREIGN_SENDERS)
        sender["phone"] = f"+{DIALLING_CODES[d.origin.country_code]} {_digits(rng, 3)} {_digits(rng, 7)}"
    elif rng.random() < 0.4:
        sender["name"] = rng.choice(MERCHANTS)
    record: dict[str, Any] = {
        "tracking_number": spec.tracking_number,
        "carrier": d.carrier.code,
        "carrier_name": d.carrier.name,
        "service": spec.service,
        "status": spec.status,
        "origin": d.origin.hub_city if d.origin.country_code == "CN" else d.origin.city,
        "destination": d.destination.label,
        "cross_border": spec.direction != "domestic",
        "sender": sender,
        "customer_tier": tier,
        "declared_value": value,
        "currency": "CNY",
        "weight_kg": weight,
        "goods": goods,  # not in the schema: kept by the importer in Shipment.extra
    }
    if sender["name"] in MERCHANTS or spec.direction == "inbound":
        record["order_id"] = f"{rng.choice(('TB', 'JD', 'PDD', 'AMZ'))}{_digits(rng, 16)}"
    return record


def _add_dates(m: _Maker, record: dict[str, Any], d: _Draft, times: list[datetime]) -> None:
    spec = d.spec
    shipped = times[1] if len(times) > 1 and spec.status != "cancelled" else None
    lo, hi = _SERVICE_DAYS[spec.service or "standard"]
    base = shipped or times[0]
    promised = base + timedelta(days=m.rng.uniform(lo, hi))
    promised = promised.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    record["shipped_at"] = _iso(shipped) if shipped else None
    record["promised_by"] = _iso(promised) if spec.status != "cancelled" else None
    if spec.status in ("delivered", "returned", "cancelled") or spec.exception == "lost":
        record["eta"] = None
    elif spec.status == "out_for_delivery":
        eta = max(m.now, times[-1]) + timedelta(hours=m.rng.uniform(1, 5))
        record["eta"] = _iso(eta.replace(second=0))
    else:
        record["eta"] = _iso(max(promised, m.now + timedelta(hours=4)))


def _exception_record(m: _Maker, d: _Draft, times: list[datetime]) -> dict[str, Any]:
    spec = d.spec
    exception: dict[str, Any] = {"type": spec.exception, "reason": d.exception_reason, "reported_at": _iso(times[-1])}
    if spec.exception == "delay":
        hours = spec.new_eta_hours if spec.new_eta_hours is not None else m.rng.uniform(20, 80)
        new_eta = (m.now + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
        exception["new_eta"] = _iso(new_eta)
    return exception


def _customs_record(m: _Maker, d: _Draft, duty: float | None) -> dict[str, Any]:
    status = d.customs_status
    documents = d.spec.documents
    if documents is None and status in ("held", "duty_unpaid", "in_progress"):
        documents = m.rng.choice(CUSTOMS_DOCUMENT_SETS)
    notes = {
        "not_started": "快件尚未到达口岸",
        "in_progress": "海关审核中，如需补充资料将短信通知收件人",
        "held": d.exception_reason,
        "duty_unpaid": f"请在 3 个工作日内缴纳进口税款 {duty or 0:.2f} 元，逾期快件将被退运",
        "cleared": "已完成清关" + (f"，已缴税款 {duty:.2f} 元" if duty else ""),
    }
    record: dict[str, Any] = {"status": status, "note": notes.get(status or "", "")}
    if duty is not None:
        record["duty_amount"] = duty
        record["duty_currency"] = "CNY"
    if documents:
        record["required_documents"] = list(documents)
    return record


# --------------------------------------------------------------------------- random specs


_RANDOM_EXCEPTIONS: dict[str, tuple[tuple[str | None, int], ...]] = {
    "in_transit": ((None, 85), ("delay", 15)),
    "arrived_at_hub": ((None, 85), ("delay", 15)),
    "customs_clearance": ((None, 80), ("delay", 20)),
    "delivery_failed": ((None, 15), ("address_problem", 35), ("held_at_station", 35), ("out_of_area", 15)),
    "exception": (("lost", 35), ("damaged", 35), ("out_of_area", 15), ("address_problem", 15)),
    "delivered": ((None, 94), ("misdelivered", 3), ("damaged", 3)),
    "returning": (("refused", 70), ("address_problem", 30)),
}


def _random_spec(rng: random.Random) -> Spec:
    carriers, weights = zip(*CARRIER_WEIGHTS, strict=True)
    carrier = rng.choices(carriers, weights)[0]
    if carrier in ("DHL", "UPS", "FEDEX") or (carrier == "EMS" and rng.random() < 0.5):
        direction = "inbound" if carrier != "EMS" or rng.random() < 0.6 else "outbound"
    else:
        direction = "domestic"
    table = STATUS_WEIGHTS_DOMESTIC if direction != "inbound" else STATUS_WEIGHTS_INBOUND
    statuses, status_weights = zip(*table, strict=True)
    status = rng.choices(statuses, status_weights)[0]
    if direction == "outbound" and status not in ("created", "picked_up", "in_transit", "delivered"):
        status = "in_transit"
    exception = None
    if status in _RANDOM_EXCEPTIONS and direction != "outbound":
        kinds, kind_weights = zip(*_RANDOM_EXCEPTIONS[status], strict=True)
        exception = rng.choices(kinds, kind_weights)[0]
    if exception == "out_of_area" and direction == "inbound":
        exception = "address_problem"
    customs = None
    if status == "customs_hold":
        customs = rng.choice(("held", "duty_unpaid"))
        exception = "customs_hold"
    return Spec(carrier, status, direction=direction, exception=exception, customs=customs)


# --------------------------------------------------------------------------- public API


def _now(now: datetime | None) -> datetime:
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(CHINA_TZ).replace(microsecond=0)


def showcase_records(now: datetime | None = None) -> list[dict[str, Any]]:
    """The showcase parcels (stable tracking numbers; dates relative to now)."""
    moment = _now(now)
    return [
        build_record(
            _Maker(random.Random(spec.tracking_number), moment),
            replace(spec, customer_tier=spec.customer_tier or "regular"),
        )
        for spec in SHOWCASE_SPECS
    ]


def iter_demo_records(count: int, seed: int = 2026, now: datetime | None = None) -> Iterator[dict[str, Any]]:
    """count records: the showcase first, then the coverage plan, then random parcels."""
    if count < 0:
        raise ValueError("count must be >= 0")
    moment = _now(now)
    showcase = showcase_records(moment)
    yield from showcase[:count]
    rng = random.Random(seed)
    maker = _Maker(rng, moment)
    used = {spec.tracking_number for spec in SHOWCASE_SPECS}
    for index in range(max(0, count - len(showcase))):
        spec = COVERAGE_SPECS[index] if index < len(COVERAGE_SPECS) else _random_spec(rng)
        if spec.direction == "inbound" and spec.origin is None:
            spec = replace(spec, origin=rng.choice(FOREIGN_PLACES))
        country = spec.origin.country_code if spec.direction == "inbound" and spec.origin else "CN"
        number = make_tracking_number(rng, spec.carrier, country)
        while number in used:
            number = make_tracking_number(rng, spec.carrier, country)
        used.add(number)
        yield build_record(maker, replace(spec, tracking_number=number))


def generate_demo_records(count: int, seed: int = 2026, now: datetime | None = None) -> list[dict[str, Any]]:
    return list(iter_demo_records(count, seed, now))


def demo_lines(count: int, seed: int = 2026, now: datetime | None = None) -> Iterator[str]:
    """The demo records as JSON Lines (no trailing newline), for the importer."""
    for record in iter_demo_records(count, seed, now):
        yield json.dumps(record, ensure_ascii=False)


def write_demo_jsonl(path: str | Path, count: int, seed: int = 2026, now: datetime | None = None) -> int:
    """Write count demo records to a .jsonl file; returns the number written."""
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        for line in demo_lines(count, seed, now):
            fh.write(line + "\n")
            written += 1
    return written
