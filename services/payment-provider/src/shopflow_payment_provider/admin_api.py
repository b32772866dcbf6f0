"""Switching faults on and off at run time, for admins (a service token with the admin
role); /admin itself is never subject to them."""

import logging

from fastapi import APIRouter

from shopflow_kit import documented_problems
from shopflow_kit.identity import NOT_ADMIN, admin_only
from shopflow_kit.problems import VALIDATION_ERROR
from shopflow_payment_provider.faults import CurrentFaults, FaultConfig

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/admin/faults",
    tags=["admin"],
    dependencies=[admin_only],
    responses=documented_problems(*NOT_ADMIN),
)


@router.get("", summary="The faults in force in this process")
async def read_faults(faults: CurrentFaults) -> FaultConfig:
    return faults.config


@router.put(
    "",
    responses=documented_problems(VALIDATION_ERROR),
    summary="Replace the faults in force; a field left out is off",
)
async def replace_faults(config: FaultConfig, faults: CurrentFaults) -> FaultConfig:
    faults.config = config
    logger.warning("faults now in force: %s", config.model_dump_json())
    return config


@router.delete("", status_code=204, summary="Switch every fault off")
async def clear_faults(faults: CurrentFaults) -> None:
    faults.config = FaultConfig()
    logger.info("faults cleared")
