"""Matching's ranking servicer: translate, call a use case, translate back. Nothing else."""

from __future__ import annotations

from marshmallow import fields, validate
from plr.matching.v1 import ranking_pb2 as pb

from services.common.grpc_edge import RequestSchema, Servicer, Uuid
from services.common.grpc_server import Call
from services.matching.domain import commands
from services.matching.domain.ranking import EXCLUSION_WORDS, WEIGHTS
from services.matching.domain.rotation import RANKED_MAX, Ranked
from services.matching.service_layer import ranking
from services.matching.service_layer.unit_of_work import UnitOfWork

LIMIT_DEFAULT = 50


class RankSchema(RequestSchema):
    opportunity_id = Uuid()
    limit = fields.Integer(strict=True, validate=validate.Range(0, RANKED_MAX, error=f"must be 0 to {RANKED_MAX}"))


class ReportSchema(RequestSchema):
    pass


RANK, REPORT = RankSchema(), ReportSchema()


def candidate_message(position: int, r: Ranked, network: bool) -> pb.RankedCandidate:
    return pb.RankedCandidate(
        leader_id=r.fit.leader_id,
        position=position,
        score=r.score,
        fit=r.fit.score,
        penalty=r.penalty.amount,
        penalty_reasons=r.penalty.reasons,
        factors=[
            pb.FactorScore(
                factor=f.factor.value, score=f.score, weight=WEIGHTS[f.factor], reason=f.reason, matched=f.matched
            )
            for f in r.fit.factors
        ],
        eligibility=r.fit.eligibility.value,
        checks_to_obtain=r.fit.checks_to_obtain,
        network_candidate=network,
    )


def ranking_message(found: ranking.CandidateRanking) -> pb.RankCandidatesResponse:
    return pb.RankCandidatesResponse(
        opportunity_id=found.opportunity_id,
        ranked_on=found.ranked_on.isoformat(),
        candidates=[
            candidate_message(n, r, r.fit.leader_id in found.network_candidates)
            for n, r in enumerate(found.ranked, start=1)
        ],
        excluded=[
            pb.Excluded(reason=why.value, words=EXCLUSION_WORDS[why], count=count)
            for why, count in sorted(found.excluded.items())
        ],
        considered=found.considered,
    )


class RankingApi(Servicer[UnitOfWork]):
    SERVICE = pb.DESCRIPTOR.services_by_name["RankingService"]

    def RankCandidates(self, request: pb.RankCandidatesRequest, call: Call) -> pb.RankCandidatesResponse:
        values = RANK.parse(request)
        command = commands.RankCandidates(values["opportunity_id"], values["limit"] or LIMIT_DEFAULT)
        return ranking_message(ranking.rank_candidates(command, self.uow(call), call.principal))

    def GetConcentrationReport(self, request: pb.GetConcentrationReportRequest, call: Call) -> pb.ConcentrationReport:
        REPORT.parse(request)
        found, window = ranking.concentration_report(commands.GetConcentrationReport(), self.uow(call), call.principal)
        return pb.ConcentrationReport(
            people=found.people,
            placements=found.placements,
            top_decile_share=found.top_decile_share,
            gini=found.gini,
            window_months=window,
        )
