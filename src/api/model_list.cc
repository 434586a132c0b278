#include "tokenfab/api/model_list.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace tokenfab::api {
namespace {

namespace json = boost::json;

json::object Card(const ModelCard& model) {
  json::object out;
  out["id"] = model.id;
  out["object"] = "model";
  out["created"] = model.created;
  out["owned_by"] = model.owned_by;
  if (model.max_model_len > 0) out["max_model_len"] = model.max_model_len;
  return out;
}

}  // namespace

std::string ModelListJson(const std::vector<ModelCard>& models) {
  json::array data;
  for (const ModelCard& model : models) data.push_back(Card(model));
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

std::string ModelCardJson(const ModelCard& model) { return json::serialize(Card(model)); }

}  // namespace tokenfab::api
