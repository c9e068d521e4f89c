"""Devices and what is known about them: the catalogue (manufacturers, models), sites, assets
(tillgångar), their assignment history, and what inventory agents report."""

from .catalogue import STAFF as STAFF
from .catalogue import AssetModel as AssetModel
from .catalogue import CatalogueModel as CatalogueModel
from .catalogue import Category as Category
from .catalogue import Manufacturer as Manufacturer
from .catalogue import Site as Site
from .devices import RELEASING_STATUSES as RELEASING_STATUSES
from .devices import TERMINAL_STATUSES as TERMINAL_STATUSES
from .devices import TRANSITIONS as TRANSITIONS
from .devices import Asset as Asset
from .devices import AssetAssignment as AssetAssignment
from .devices import AssetStatus as AssetStatus
from .devices import S as S
from .imports import AssetImport as AssetImport
from .imports import AssetImportMapping as AssetImportMapping
from .imports import AssetImportRow as AssetImportRow
from .imports import ImportState as ImportState
from .inventory import AgentKey as AgentKey
from .inventory import AssetInterface as AssetInterface
from .inventory import InstalledSoftware as InstalledSoftware
from .inventory import InventoryUpload as InventoryUpload
from .inventory import TriageDevice as TriageDevice
from .inventory import UploadStatus as UploadStatus
from .licences import LicenceAssignment as LicenceAssignment
from .licences import LicenceEntitlement as LicenceEntitlement
from .licences import LicenceKind as LicenceKind
from .licences import SoftwareProduct as SoftwareProduct
from .wifi import CheckResult as CheckResult
from .wifi import WifiAuthentication as WifiAuthentication
from .wifi import WifiFunding as WifiFunding
from .wifi import WifiStandardItem as WifiStandardItem
from .wifi import WifiZone as WifiZone
from .wifi import WifiZoneCheck as WifiZoneCheck
