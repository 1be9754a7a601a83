// Factories of the registered importers (see importer.h for the registry).
#ifndef CLINSIM_CASES_IMPORTERS_IMPORTERS_H_
#define CLINSIM_CASES_IMPORTERS_IMPORTERS_H_

#include <memory>

#include "cases/importers/importer.h"

namespace clinsim::cases {

std::unique_ptr<Importer> NewAgentClinicImporter();
std::unique_ptr<Importer> NewMediqImporter();

}  // namespace clinsim::cases

#endif  // CLINSIM_CASES_IMPORTERS_IMPORTERS_H_
