"""Every refusal of a service in words: the one place where a refusal gets them, for every page.

A service answers {"error": {"code", "message", "field"?, "params"?,
"problems"?: [{"field", "message", "check"?, "limits"?}]}}
with its message in English, and "params" where its words need a number or a name (a limit, a count, a stage). A page
shows none of that message: the stable code (and, for a 422 from the request's validation, the failed check and its
limits) picks the words, filled in with the params, the field is named as the form names it, and a few refusals of a
shared code (invalid, conflict) are told apart by their message's fixed wording (a number in it is kept)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import i18n

# key -> (Chinese, English). code.<code>: why a service refused, by its stable code (code.<service>.<code> when one
# service words it its own way); check.<type>: a failed check of a request's validation (pydantic's error types);
# field.<name>: the field as the forms name it (field.<form>.<name> where one form names it its own way);
# why.<reason>: a finer reason one code covers, told by the message's wording.
TEXT: dict[str, tuple[str, str]] = {
    "line": ("{field}：{why}", "{field}: {why}"),
    "line.judge": ("未能保存（{field}）：{why}", "Not saved ({field}): {why}"),
    "item": ("{list}第 {n} 项的{leaf}", "{list} {n}, {leaf}"),
    "joined": ("{a}；{b}", "{a}; {b}"),
    "either": ("{a}或{b}", "{a} or {b}"),
    "list_sep": ("、", ", "),
    # a refusal's params by name: an action on a nomination (params "action"), a column of an uploaded table
    # (params "columns", by the header the file may use)
    "action.approve": ("审核通过", "approved"), "action.return": ("退回修改", "returned"),
    "action.reject": ("不予通过", "rejected"), "action.veto": ("一票否决", "vetoed"),
    "action.withdraw": i18n.STRINGS["un.action.withdraw"], "action.resubmit": i18n.STRINGS["un.action.resubmit"],
    "action.attach": i18n.STRINGS["un.action.attach"],
    "column.unit_id": ("单位编号", "unit_id"), "column.name": ("名称（或姓名）", "name"),
    "column.member_id": ("党员编号", "member_id"), "column.nomination_id": ("申报编号", "nomination_id"),
    "column.nominee": ("被推荐对象", "nominee"), "column.kind": ("指标类别", "kind"),
    "column.points": ("得分", "points"), "column.max_points": ("满分", "max_points"),
    # the shared codes (shared/errors.py) and the framework's
    "code.invalid": ("填写的内容不符合要求。", "the value is not accepted."),
    "code.not_found": ("不存在。", "does not exist."),
    "code.conflict": ("与当前状态不符，未执行。", "does not fit the current state; nothing was changed."),
    "code.unauthorized": ("登录已失效，请重新打开组织者发给您的登录链接。",
                          "your sign-in has expired; open your sign-in link again."),
    "code.forbidden": ("您无权进行此操作。", "you may not do this."),
    "code.rate_limited": ("操作过于频繁，请稍后再试。", "too many attempts; try again in a minute."),
    "code.closed": ("当前未开放，不能进行此操作。", "this is not open now."),
    "code.gone": ("已失效。", "is no longer valid."),
    "code.bad_request": ("请求无法识别，请刷新页面后重试。",
                         "the request could not be read; reload the page and retry."),
    "code.method_not_allowed": ("不支持此操作。", "this operation is not supported."),
    "code.too_large": ("内容过大，无法上传。", "too large to upload."),
    "code.unsupported_media_type": ("文件格式不受支持。", "this format is not supported."),
    "code.not_implemented": ("暂不支持此格式。", "this format is not available yet."),
    "code.error": ("操作未成功，请稍后再试。", "it did not go through; try again later."),
    "code.unreachable": ("服务暂时无法访问，请稍后再试。", "the service cannot be reached; try again later."),
    "code.other": ("未被接受（{code}）。", "not accepted ({code})."),
    # the services' finer codes
    "code.stage_closed": ("{stage}阶段未开放，不能进行此操作。", "the {stage} stage is not open for this."),
    "code.stage_control": ("本评选活动的各阶段按设定日期自动开启和关闭，不能手动操作。",
                           "this programme's stages open and close by their dates, not by hand."),
    "code.category_published": ("该类别的公示名单已发布，只能通过异议处理、递补或撤销变更。",
                                "the category's list is published; it changes only through objections, "
                                "replacement and revocation."),
    "code.draw_committed": ("抽查参数已公布，不能再更改。",
                            "the spot-check draw is committed; its inputs cannot change."),
    "code.draw_not_committed": ("尚未公布抽查参数，请先公布。",
                                "no spot-check draw is committed yet; publish it first."),
    "code.draw_made": ("已抽签，不能重抽。", "the draw is made and cannot be redrawn."),
    "code.counts_hidden": ("本轮票数尚未公布。", "this round's counts are not published yet."),
    "code.round_open": ("本轮尚未结束，结束后才能公布票数。",
                        "the round is still open; counts are published after it closes."),
    "code.replaces_peer_vote": ("已有测评轮次计入该类别的民主测评，请勾选确认替换。",
                                "another round already feeds this category's peer vote; confirm the replacement."),
    "code.notice_closed": ("该公示已结束，日期不能再更正。",
                           "the notice is closed; its dates can no longer be corrected."),
    "code.notice_started": ("公示已开始，开始时间不能再更改（可更正工作日数）。",
                            "the notice has started; its start can no longer move (correct the working days)."),
    # the publicity service's codes: notices, replacements, honours, objections, the holiday calendar
    "code.working_days_range": ("须在 1 到 {max} 个工作日之间。", "must be from 1 to {max} working days."),
    "code.listed_meanwhile": ("所选对象中有的刚被列入另一份公示，请刷新后重新选择。",
                              "a chosen nominee was put on another notice meanwhile; reload and choose again."),
    "code.no_further_candidate": ("本类别已没有可递补的候选对象。", "no further ranked candidate in this category."),
    "code.corrected_period_past": ("按更正后的工作日数，公示期已经结束，请增加工作日数。",
                                   "with the corrected working days the period would already have ended; give "
                                   "more days."),
    "code.notice_changed": ("该公示刚被他人修改，请刷新后重新更正。",
                            "the notice changed meanwhile; reload it and correct again."),
    "code.no_ranking_yet": ("该类别尚无排名结果，请等待排名，或手动选择公示对象。",
                            "this category has no ranking yet; wait for it, or choose the nominees yourself."),
    "code.no_nominee_listed": ("请至少选择一个公示对象；不选则按排名自动列入。",
                               "choose at least one nominee, or none for the top of the ranking."),
    "code.notice_exists": ("该类别已有公示；如需再列入对象，请手动选择，或在撤下对象后进行递补。",
                           "this category already has a notice; choose the nominees yourself, or replace one after a "
                           "removal."),
    "code.details_pending": ("排名中有对象的申报信息尚未同步到公示，请稍后再试。",
                             "a ranked nomination's details have not arrived yet; try again shortly."),
    "code.starts_in_past": ("公示开始时间不能早于现在；不填则立即发布，或选择以后的时间。",
                            "a notice cannot start in the past; leave the start empty to publish now, or pick a later "
                            "time."),
    "code.starts_too_far": ("公示最多可提前 {days} 天安排。", "a notice can be scheduled at most {days} days ahead."),
    "code.nothing_to_correct": ("请填写新的开始时间或工作日数后再更正。",
                                "give a new start or a new number of working days to correct."),
    "code.nothing_removed": ("本公示没有被撤下的对象；递补只在异议成立、对象被撤下后进行。",
                             "no nominee of this notice was removed; a replacement follows a sustained objection."),
    "code.all_replaced": ("本公示撤下的对象都已递补。",
                          "every removed nominee of this notice already has a replacement."),
    "code.publicity_not_started": ("公示期尚未开始，暂不受理异议。", "the publicity period has not started; objections "
                                                                  "are not accepted yet."),
    "code.publicity_ended": ("公示期已结束，不再受理异议。", "the publicity period has ended; objections are no longer "
                                                          "accepted."),
    "code.not_in_publicity": ("该对象已不在公示中。", "this nominee is no longer in publicity."),
    "code.honour_revoked": ("该荣誉已撤销。", "the honour is already revoked."),
    "code.honour_not_confirmed": ("只有已确认的荣誉才能安排复查。", "only a confirmed honour is reviewed."),
    "code.review_before_confirmed": ("复查日期不能早于荣誉确认日期。",
                                     "a review cannot be due before the honour was confirmed."),
    "code.revocation_reason": ("撤销荣誉须填写理由（至少 {n} 个字）。",
                               "give the reason for revocation (at least {n} characters)."),
    "code.review_done": ("该复查已有结论，不能再次处理。", "this review already has its outcome."),
    "code.file_type": ("文件类型不允许，只接受 {types} 文件。", "this file type is not accepted; only {types}."),
    "code.too_many_files": ("最多上传 {max} 个附件。", "at most {max} attachments."),
    "code.calendar_too_large": ("日历文件不能超过 {kb} KB。", "a calendar file is at most {kb} KB."),
    "code.calendar_unknown": ("{year} 年的法定节假日安排尚未载入：请组织者上传该年的节假日安排，或选择仅按周末计算。",
                              "the official holidays of {year} are not loaded; upload that year's schedule, or count "
                              "weekends only."),
    "code.calendar_bad_date": ("不是有效的日期，请写成“年-月-日”（例如 2026-10-01）。",
                               "not a date; write it as YYYY-MM-DD."),
    "code.calendar_not_list": ("须列出日期或日期范围。", "must list dates or date ranges."),
    "code.calendar_range_reversed": ("日期范围的结束早于开始。", "the range ends before it starts."),
    "code.calendar_range_too_long": ("日期范围超过 {days} 天，不是一个假期。",
                                     "a range longer than {days} days is not a holiday."),
    "code.calendar_not_mapping": ("日历文件须包含年度、节假日和调休上班日三项。",
                                  "the file must give year, holidays and workdays."),
    "code.calendar_year": ("年度须为 {min} 至 {max} 之间的整数。",
                           "the year must be a whole number from {min} to {max}."),
    "code.calendar_no_holidays": ("请至少列出一个法定节假日。", "list at least one public holiday."),
    "code.calendar_other_year": ("{day} 不在 {year} 年内。", "{day} is not in {year}."),
    "code.calendar_day_twice": ("{day} 同时列为节假日和调休上班日。",
                                "{day} is listed both as a holiday and a workday."),
    "code.calendar_workday_weekday": ("{day} 是周一至周五；调休上班日应在周六或周日。",
                                      "{day} is a weekday; make-up workdays fall on a Saturday or Sunday."),
    # the scoring service's codes: judges, panels, assignments, scores, spot checks, arena contests
    "code.score_not_number": ("须为数字。", "must be a number."),
    "code.score_range": ("须在 0 到 {max} 分之间。", "must be from 0 to {max}."),
    "code.score_step": ("须为 {step} 分的整数倍。", "must be a multiple of {step}."),
    "code.unknown_criterion": ("不是本类别的评分项。", "is not a criterion of this category."),
    "code.arena_exists": ("该擂台赛编号已被使用，请换一个编号。", "an arena contest with this id already exists."),
    "code.unknown_arena_round": ("不是本擂台赛的轮次。", "not a round of this arena contest."),
    "code.unknown_contestant": ("不是本擂台赛的选手。", "not a contestant of this arena contest."),
    "code.board_not_frozen": ("榜单未冻结，无需揭晓。", "the board is not frozen; there is nothing to reveal."),
    "code.arena_closed": ("该擂台赛已结束，分数不能再更改。",
                          "this arena contest is closed; scores can no longer change."),
    "code.other_category": ("该参评对象不属于本评审组的评选类别。", "this nominee is not in the panel's category."),
    "code.judge_not_on_panel": ("该评委不在本评审组中。", "this judge is not on the panel."),
    "code.already_assigned": ("该评委已分配给此参评对象。", "this judge is already assigned to this nominee."),
    "code.not_approved": ("该申报尚未审查通过；只有审查通过的申报才能评审。", "only approved nominations are judged."),
    "code.no_key_tasks": ("该类别尚未录入重点任务，无法抽查。", "no key tasks are entered for this category yet."),
    "code.not_drawn": ("该任务未被抽中，无需核查。", "this task was not drawn for a spot check."),
    "code.verified_points_required": ("核查未通过时，请填写核实得分。",
                                      "a failed spot check needs the verified points."),
    "code.not_on_roll": ("不在党员名册中。", "is not on the roll."),
    "code.judge_exists": ("该评委已登记。", "this judge is already registered."),
    "code.judge_twice": ("同一评委被列了两次。", "a judge is listed twice."),
    "code.judge_not_registered": ("有 {count} 位评委尚未在本评选活动中登记，请先登记。",
                                  "{count} of the judges are not registered in this programme; register them first."),
    "code.panel_exists": ("该类别已有评审组（或评审组编号已被使用）。",
                          "this category already has a panel (or the panel id is taken)."),
    "code.nothing_assigned": ("尚未给评委分配参评对象，请先完成分配。",
                              "no nominee is assigned yet; assign the panel first."),
    "code.panel_locked": ("评审组已锁定，不能再更改。", "the panel is locked; this can no longer change."),
    "code.already_recused": ("您已对该参评对象申报过回避。", "you have already declared a conflict with this nominee."),
    "code.not_assigned": ("该参评对象未分配给您（或您已回避）。",
                          "this nominee is not assigned to you (or you are recused)."),
    "code.vetoed": ("受一票否决，不能列入公示。", "barred by a veto (一票否决); it cannot be put on a notice."),
    "code.signin_link_expired": ("此登录链接已过期，请联系组织者重新发放。",
                                 "This sign-in link has expired. Ask the organiser for a new one."),
    "code.signin_link_used": ("此登录链接已使用过，请联系组织者重新发放。",
                              "This sign-in link has already been used. Ask the organiser for a new one."),
    "code.signin_link_revoked": ("此登录链接已被撤销，请联系组织者。",
                                 "This sign-in link was revoked. Ask the organiser."),
    "code.signin_link_invalid": ("无效的登录链接，请完整复制链接或重新扫码。",
                                 "This is not a valid sign-in link: copy it whole or scan it again."),
    "code.signin.rate_limited": ("尝试过于频繁，请稍后再试。", "Too many attempts; try again in a minute."),
    # the nominations service's codes
    "code.programme_exists": ("该评选活动已存在，不能重复创建；如需修改，请编辑已有的活动。",
                              "this programme already exists; change the existing one instead."),
    "code.stage_already_open": ("{stage}阶段已开启，无需重复操作。", "the {stage} stage is already open."),
    "code.stage_already_closed": ("{stage}阶段已关闭，无需重复操作。", "the {stage} stage is already closed."),
    "code.criteria_fixed": ("民主测评已开始，该类别的评分项和权重不能再修改。",
                            "voting has started; this category's criteria and weights are fixed."),
    "code.peer_vote_round_fixed": ("民主测评已开始，该类别计入的测评轮次不能再修改。",
                                   "voting has started; the round this category's peer vote counts is fixed."),
    "code.unknown_status": ("不是可选的申报状态之一。", "not one of the nominations' statuses."),
    "code.wrong_status": ("“{status}”的申报不能{action}。", "a nomination that is {status} cannot be {action}."),
    "code.unknown_role": ("不是可选的角色之一（首个组织者的登录链接由管理员在服务器上生成）。",
                          "not one of the roles (the first organiser's link is made on the server)."),
    "code.link_needs_subject": ("请选择此登录链接发给谁。", "choose whom this sign-in link is for."),
    "code.link_hours": ("有效时长须大于 0 小时，且不超过 {max} 小时。", "must be more than 0 and at most {max} hours."),
    "code.links_count": ("每次可生成 1 至 {max} 个登录链接。", "give 1 to {max} links at a time."),
    "code.not_in_programme": ("不在本评选活动中。", "is not in this programme."),
    "code.veto_reason_required": ("请填写理由（例如：受到党纪处分）。",
                                  "give a reason (e.g. a disciplinary sanction)."),
    # the voting service's codes: opening, closing and publishing a round
    "code.round_exists": ("该测评轮次编号已被使用，请换一个编号。", "a round with this id already exists."),
    "code.round_id_format": ("编号只能包含字母、数字、- 和 _，最多 {max} 个字符。",
                             "letters, digits, - and _ only, at most {max} characters."),
    "code.round_id_start": ("编号须以字母或数字开头。", "must start with a letter or a digit."),
    "code.category_not_in_programme": ("有类别不属于本评选活动。", "a category is not in this programme."),
    "code.category_twice": ("同一类别被列了两次。", "a category is listed twice."),
    "code.approval_only": ("此项只适用于推荐投票。", "this applies to approval ballots only."),
    "code.appraisal_only": ("此项只适用于民主测评（四档）。", "this applies to appraisal ballots only."),
    "code.peer_vote_mismatch": ("所选类别中，有的把本轮计入民主测评，有的不计入，请为这些类别分别开设测评轮次。",
                                "some of the categories count this round in their peer vote and some do not; open "
                                "a round for each."),
    "code.no_candidates": ("所选类别还没有审查通过的申报，暂不能开设测评。",
                           "the categories have no approved nominations yet."),
    "code.excellent_cap_too_high": ("“优秀”上限（{cap}）超过了候选对象数（{candidates}）。",
                                    "the cap on excellent ({cap}) exceeds the {candidates} candidates."),
    "code.nobody_eligible": ("本轮没有可投票的人员，请检查投票范围。",
                             "nobody is eligible to vote in this round; check the eligibility."),
    "code.no_units_listed": ("请选择可投票人员所在的单位。", "choose the units whose members may vote."),
    "code.no_members_listed": ("请选择可投票的党员。", "choose the members who may vote."),
    "code.unknown_unit": ("有单位不在组织架构中。", "a unit is not in the organisation tree."),
    "code.round_already_closed": ("本轮测评已结束，无需重复操作。", "this round is already closed."),
    "code.counts_public": ("本轮票数已经公布。", "this round's counts are already public."),
    # the voting service's codes: a voter's refusals and spoiled ballots (废票)
    "code.unknown_credential": ("此凭证无效或已作废，请联系工作人员。", "This credential is not valid; ask the staff."),
    "code.already_voted": ("此凭证（或您）已经投过票，不能再次投票。",
                           "A ballot has already been cast with this credential or by you."),
    "code.voting.closed": ("本轮测评已结束。", "The round is closed."),
    "code.not_open": ("本轮测评尚未开始。", "The round has not opened yet."),
    "code.not_eligible": ("您不在本轮测评名单中。", "You are not on this round's roll."),
    "code.voting.rate_limited": ("操作过于频繁，请一分钟后再试。", "Too many attempts; try again in a minute."),
    "code.too_many_excellent": ("“优秀”超过上限，选票无效。", "Too many graded excellent; the ballot is invalid."),
    "code.too_many_selections": ("选择人数超过上限，选票无效。", "Too many selected; the ballot is invalid."),
    "code.ungraded_candidate": ("本轮须为每位候选对象评定档次。", "This round needs a grade for every candidate."),
    "code.voting.stage_closed": ("民主测评阶段未开放。", "The peer-voting stage is not open."),
    "code.empty": ("空白票不能提交。", "A blank ballot cannot be cast."),
    "code.unknown_round": ("本轮测评不存在。", "This round does not exist."),
    "code.unknown_candidate": ("选票中有不在本轮的候选对象，请刷新后重投。",
                               "The ballot names a candidate not on this round; reload and vote again."),
    "code.withdrawn_candidate": ("选票中有已撤回申报的候选对象，请刷新后重投。",
                                 "The ballot names a withdrawn candidate; reload and vote again."),
    "code.duplicate_selection": ("同一候选对象被选了两次。", "The same candidate is chosen twice."),
    "code.wrong_ballot_type": ("选票与本轮投票方式不符，请刷新后重投。",
                               "The ballot does not match the round's ballot type; reload and vote again."),
    "code.unknown_grade": ("选票中有不存在的档次。", "The ballot uses a grade that does not exist."),
    # an uploaded file (every service's uploads); {mb} is the limit in MB
    "code.file_empty": ("文件是空的，请检查后重新上传。", "the file is empty; check it and upload it again."),
    "code.file_too_large": ("文件超过 {mb} MB，请压缩或拆分后重新上传。",
                            "the file is larger than {mb} MB; make it smaller or split it."),
    "code.file_unreadable": ("文件无法作为电子表格读取，请检查文件是否完好后重新上传。",
                             "the file cannot be read as a spreadsheet; check it and upload it again."),
    "code.csv_encoding": ("文件的文字编码无法识别，请以统一码或国标编码保存，或另存为电子表格后重新上传。",
                          "the CSV file must be UTF-8 or GB18030 text; save it so, or as .xlsx, and upload it again."),
    "code.table_type": ("文件类型不对，请上传电子表格或逗号分隔的表格文件。",
                        "the file must be a .csv or .xlsx table."),
    "code.missing_columns": ("表头（第 1 行）缺少必需的列：{columns}。请补上后重新上传。",
                             "the header row (line 1) lacks the column(s) {columns}; add them and upload again."),
    "code.file_not_utf8": ("文件的文字编码无法识别，请以统一码编码保存后重新上传。",
                           "the file must be UTF-8 text; save it so and upload it again."),
    "code.file_not_yaml_json": ("文件内容无法解析，请对照模板检查格式后重新上传。",
                                "the file is not valid YAML or JSON; check it against the template and upload it "
                                "again."),
    "code.file_content_mismatch": ("文件内容与文件类型不符，请确认文件完好、类型正确。",
                                   "the file's content does not match its type; check the file."),
    # a failed check of a request's validation (422), by pydantic's error type; {n} is its limit
    "check.missing": ("请填写此项。", "this field is required."),
    "check.string_too_short": ("至少填写 {n} 个字。", "at least {n} characters."),
    "check.string_too_short.1": ("请填写此项。", "this field is required."),
    "check.string_too_long": ("最多 {n} 个字。", "at most {n} characters."),
    "check.too_short": ("至少 {n} 项。", "at least {n} items."),
    "check.too_long": ("最多 {n} 项。", "at most {n} items."),
    "check.greater_than_equal": ("不能小于 {n}。", "must be at least {n}."),
    "check.greater_than": ("须大于 {n}。", "must be more than {n}."),
    "check.less_than_equal": ("不能大于 {n}。", "must be at most {n}."),
    "check.less_than": ("须小于 {n}。", "must be less than {n}."),
    "check.int_parsing": ("须为整数。", "must be a whole number."),
    "check.int_from_float": ("须为整数。", "must be a whole number."),
    "check.float_parsing": ("须为数字。", "must be a number."),
    "check.bool_parsing": ("须为“是”或“否”。", "must be yes or no."),
    "check.string_pattern_mismatch": ("格式不正确（只能含字母、数字和 _ . : -）。",
                                      "the format is not valid (letters, digits and _ . : - only)."),
    "check.datetime_parsing": ("不是有效的日期时间。", "not a valid date and time."),
    "check.datetime_from_date_parsing": ("不是有效的日期时间。", "not a valid date and time."),
    "check.date_parsing": ("不是有效的日期。", "not a valid date."),
    "check.date_from_datetime_parsing": ("不是有效的日期。", "not a valid date."),
    "check.literal_error": ("不是可选的值之一。", "not one of the allowed values."),
    "check.enum": ("不是可选的值之一。", "not one of the allowed values."),
    "check.json_invalid": ("内容无法识别，请刷新页面后重试。", "the request could not be read; reload and retry."),
    "check.extra_forbidden": ("不是此处可填写的项。", "not a field of this form."),
    "check.value_error": ("格式不正确。", "the value is not valid."),
    # what a valid value of a field is, when the service refused it as invalid (its message is not shown)
    "valid.name": ("请填写真实姓名（2–40 个字，汉字或字母），不受理匿名异议。",
                   "give your real name (2 to 40 letters or Chinese characters); anonymous objections are not "
                   "accepted."),
    "valid.phone": ("请填写有效的手机号（11 位）或固定电话（区号-号码），或改填电子邮箱。",
                    "give a valid mobile (11 digits) or landline (area code-number), or an email instead."),
    "valid.email": ("请填写有效的电子邮箱地址。", "give a valid email address."),
    "valid.contact": ("请至少填写电话或电子邮箱中的一项。", "give a phone number or an email."),
    # finer reasons of one code, told by the message's wording (the units' page and every other)
    "why.stage_closed.unit": ("申报阶段未开放，不能提交、撤回或重新提交申报。", "the nomination stage is not open."),
    "why.not_in_tree": ("不在组织架构或党员名册中。", "not in the organisation tree or roll."),
    "why.wrong_kind": ("与本类别不符，本类别只接受{kind}。", "does not fit this category, which takes {kind}."),
    "why.outside": ("不属于本单位及下属单位。", "outside your unit and its sub-units."),
    "why.veto": ("受一票否决，不能申报。", "barred by a veto (一票否决)."),
    "why.already": ("已在本类别中被申报，不能重复申报。", "already nominated in this category."),
    "why.limit": ("本单位在本类别的申报已达上限（{n} 个）。",
                  "this unit has reached its limit of {n} in this category."),
    "why.range": ("须在 0 到 {n} 分之间。", "must be from 0 to {n}."),
    "why.step": ("须为 {n} 分的整数倍。", "must be a multiple of {n}."),
    "why.unknown_criterion": ("不是本类别的评分项。", "is not a criterion of this category."),
    "why.too_long": ("超过 {n} 字。", "longer than {n} characters."),
    "why.file_type": ("文件类型不允许，只接受 PDF、Word、Excel、JPG、PNG。",
                      "this file type is not allowed (PDF, Word, Excel, JPG, PNG)."),
    "why.file_empty": ("文件是空的。", "the file is empty."),
    "why.file_size": ("超过 {n} MB。", "larger than {n} MB."),
    "why.file_count": ("每个申报最多 {n} 个附件。", "at most {n} attachments per nomination."),
    "why.file_race": ("上传期间申报状态已变化，请重试。", "the nomination changed during the upload; try again."),
    "why.bad_status": ("“{status}”的申报不能{action}。", "a nomination that is {status} cannot be {action}."),
    "why.not_yours": ("不属于本单位或不存在。", "not of your unit, or it does not exist."),
    "why.already_state": ("已是此状态，无需重复操作。", "it is so already; nothing to do."),
    "why.bad_file": ("文件无法读取，请检查文件格式和表头。",
                     "the file cannot be read; check its format and header row."),
    "why.past": ("不能早于现在。", "cannot be in the past."),
    "why.after_opens": ("须晚于开始时间。", "must be after the opening time."),
    "why.unique": ("有重复项，每项须唯一。", "has a duplicate; each must be unique."),
    "why.sum_one": ("各项之和须为 1。", "they must sum to 1."),
    "why.already_noticed": ("已在公示名单中。", "is already in a notice."),
    "why.investigating": ("异议当前的办理状态不允许此操作。", "the objection's state does not allow this now."),
    # the judges' page: its own words of its refusals
    "why.judge.score": ("应在 0–{max} 分之间，且为 {step} 的整数倍", "must be from 0 to {max}, in steps of {step}"),
    "why.judge.reason": ("请填写 2–500 个字的理由", "give a reason of 2 to 500 characters"),
    "why.judge.recused": ("您已回避该参评对象，不能评分", "you are recused from this nominee and cannot score it"),
    "why.judge.already": ("您已对该参评对象申报过回避", "you have already declared a conflict with this nominee"),
    "why.judge.not_assigned": ("该参评对象未分配给您", "this nominee is not assigned to you"),
    "why.judge.stage_closed": ("评审打分阶段未开放", "the judging stage is not open"),
    "why.judge.published": ("该类别公示名单已发布，评分不能再修改",
                            "the category's list is published; scores are fixed"),
    "why.judge.locked": ("评审组已锁定", "the panel is locked"),
    "why.judge.no_judge_id": ("登录信息中没有评委编号，请联系组织者重新发放登录链接",
                              "your sign-in carries no judge id; ask the organiser for a new link"),
    "why.judge.unreachable": ("评审服务暂时无法访问，请稍后再试", "the scoring service cannot be reached; try again"),
}

# The field as the forms name it. field.<form>.<name> where one form names it its own way.
FIELDS: dict[str, tuple[str, str]] = {
    # the units' page: its forms' own labels
    "unit.category_id": i18n.STRINGS["un.category"], "unit.nominee_id": i18n.STRINGS["un.nominee"],
    "unit.unit_id": ("申报单位", "Nominating unit"), "unit.materials": i18n.STRINGS["un.materials"],
    "unit.self_assessment": i18n.STRINGS["un.self"], "unit.file": i18n.STRINGS["un.files"],
    "unit.status": ("申报状态", "Status"), "unit.stage": ("申报阶段", "Nomination stage"),
    "unit.nomination_id": ("申报", "Nomination"), "unit.programme_id": i18n.STRINGS["lb.programme"],
    "unit.token": ("登录", "Sign-in"),
    # the judges' page
    "judge.nomination_id": ("参评对象", "Nominee"), "judge.reason": i18n.STRINGS["jd.reason"],
    "judge.panel_id": ("评审组", "Panel"), "judge.judge_id": ("评委", "Judge"),
    "judge.programme_id": ("评选活动", "Programme"), "judge.category_id": ("评选类别", "Category"),
    "judge.stage": ("评审阶段", "Judging stage"), "judge.scores": ("评分", "Scores"),
    # every other form (the organiser's console, the ballots, the objection form)
    "abstain_allowed": ("允许弃权", "Abstention allowed"), "action": ("操作", "Action"),
    "actor": ("操作人", "Actor"), "arena_id": ("擂台赛", "Arena contest"), "attachments": ("附件", "Attachments"),
    "ballot_type": ("投票方式", "Ballot type"), "basic": ("基础指标", "Basic indicators"),
    "board": ("榜单", "Board"), "business": ("业务工作", "Business performance"),
    "business_baseline_programme_id": ("业务进位对比的上年评选", "Last year's programme for business progress"),
    "categories": ("评选类别", "Categories"), "category_id": ("评选类别", "Category"),
    "category_ids": ("评选类别", "Categories"), "closes_at": ("截止时间", "Closes at"),
    "comment": ("意见", "Comment"), "comments": ("退回意见", "What to change"),
    "competitive_ratio": ("差额比例", "Competitive ratio"), "confirm_replace": ("确认替换", "Confirm the replacement"),
    "contact": ("联系方式", "Contact"), "contact_email": ("联系邮箱", "Contact email"),
    "contact_office": ("联系部门", "Contact office"), "contact_phone": ("联系电话", "Contact phone"),
    "contestant_id": ("选手", "Contestant"), "contestants": ("选手", "Contestants"),
    "counts_hidden": ("票数暂不公开", "Hide counts"), "credential": ("投票凭证", "Ballot credential"),
    "criteria": ("评分项", "Criteria"), "criteria_template": ("评分项模板", "Criteria template"),
    "criterion_id": ("评分项编号", "Criterion id"), "due_by": ("截止日期", "Due by"),
    "due_date": ("复查日期", "Review date"), "eligibility": ("参评范围", "Eligibility"),
    "email": ("电子邮箱", "Email"), "excellent_cap": ("“优秀”上限", "Cap on excellent"),
    "excellent_cap_share": ("“优秀”比例上限", "Share cap on excellent"),
    "fallback_weekends_only": ("仅按周末计算工作日", "Weekends only"), "file": ("文件", "File"),
    "file_id": ("文件", "File"), "findings": ("调查情况", "Findings"), "flat": ("平铺列表", "Flat list"),
    "fmt": ("文件格式", "Format"), "grades": ("测评档次", "Grades"), "honour_id": ("荣誉", "Honour"),
    "hours": ("有效小时数", "Hours valid"), "investigator": ("调查人", "Investigator"),
    "issuer": ("发布单位", "Issuer"), "judge_id": ("评委", "Judge"), "judge_ids": ("评委", "Judges"),
    "key_tasks": ("重点任务", "Key tasks"), "link_id": ("登录链接", "Sign-in link"),
    "links": ("登录链接", "Sign-in links"), "live_weight": ("现场权重", "Live weight"),
    "materials": ("事迹材料", "Materials"), "max_points": ("满分", "Maximum points"),
    "max_selections": ("最多可选人数", "Maximum selections"), "member_id": ("党员", "Member"),
    "member_ids": ("党员", "Members"), "min_judges": ("每个对象最少评委数", "Judges per nominee at least"),
    "min_judges_per_nominee": ("每个对象最少评委数", "Judges per nominee at least"),
    "min_judges_to_trim": ("去掉最高最低分所需评委数", "Judges needed to trim"), "name": ("名称", "Name"),
    "nomination_id": ("参评对象", "Nominee"), "nomination_ids": ("参评对象", "Nominees"),
    "nominee": ("参评对象", "Nominee"), "nominee_id": ("参评对象", "Nominee"),
    "nominee_kind": ("参评对象类型", "Nominee kind"), "nominee_name": ("参评对象名称", "Nominee name"),
    "note": ("备注", "Note"), "notice_id": ("公示", "Notice"), "objection_id": ("异议", "Objection"),
    "objection_url": ("异议提交网址", "Objection address"), "opens_at": ("开始时间", "Opens at"),
    "outcome": ("处理结论", "Outcome"), "page": ("页码", "Page"), "page_size": ("每页条数", "Page size"),
    "panel_id": ("评审组", "Panel"), "passed": ("是否通过", "Passed"), "peer_vote_round": ("测评轮次", "Voting round"),
    "pending": ("待处理", "Pending"), "phone": ("电话", "Phone"), "programme_id": ("评选活动", "Programme"),
    "q": ("搜索", "Search"), "quota": ("名额", "Quota"), "reason": ("理由", "Reason"),
    "receipt": ("回执编号", "Receipt"), "reissue": ("重新发放", "Reissue"),
    "report_method": ("述职评议方式", "Report method"),
    "review_id": ("复查", "Review"), "role": ("角色", "Role"), "round_id": ("测评轮次", "Round"),
    "rounds": ("轮次", "Rounds"), "sample_size": ("抽查数量", "Sample size"), "score": ("分数", "Score"),
    "scores": ("评分", "Scores"), "seed": ("抽签种子", "Seed"), "seed_source": ("种子来源", "Seed source"),
    "selections": ("推荐对象", "Selections"), "self_assessment": ("自评得分", "Self-assessment"),
    "signin": ("登录链接",
               "Sign-in link"), "stage": ("阶段", "Stage"), "stage_control": ("阶段控制方式", "Stage control"),
    "stages": ("阶段", "Stages"), "start": ("开始", "Start"), "starts_at": ("公示开始时间", "Notice starts at"),
    "state": ("办理状态", "State"), "status": ("状态", "Status"), "step": ("分值步长", "Step"),
    "subject_id": ("单位或党员", "Unit or member"), "task_id": ("重点任务", "Key task"), "tie_breaks": ("并列判定规则",
                                                                                                "Tie-breaks"),
    "title": ("职务", "Title"), "token": ("登录", "Sign-in"), "tracking_no": ("受理编号", "Tracking number"),
    "type": ("事件类型", "Event type"), "unit_id": ("单位", "Unit"), "unit_ids": ("单位", "Units"),
    "unit_limit": ("每单位申报上限", "Limit per unit"), "unit_name": ("单位名称", "Unit name"),
    "verified_points": ("核实得分", "Verified points"), "vote_share": ("得票率口径", "Vote share"),
    "weights": ("权重", "Weights"), "working_days": ("公示工作日数", "Working days"), "year": ("年度", "Year"),
    "zscore": ("按评委标准化", "Z-score per judge"),
}

# The voting service's refusals of a voter or a ballot: a ballot page says them alone, without a field.
VOTER = frozenset({"unknown_credential", "already_voted", "closed", "not_open", "not_eligible", "rate_limited",
                   "too_many_excellent", "too_many_selections", "ungraded_candidate", "stage_closed", "empty",
                   "unknown_round", "unknown_candidate", "withdrawn_candidate", "duplicate_selection",
                   "wrong_ballot_type", "unknown_grade"})
# The codes many refusals share (shared/errors.py and the framework's): their words are generic, so a finer reason is
# told by the message's wording (RULES) where one is known.
SHARED_CODES = frozenset({"invalid", "conflict", "closed", "not_found", "forbidden", "unauthorized", "gone",
                          "too_large", "bad_request", "error"})
_NUMBER = r"(\d+(?:\.\d+)?)"
_BAD_STATUS = re.compile(r"cannot (withdraw|resubmit|attach files to) a nomination that is (\w+)")
ACTIONS = {"withdraw": "withdraw", "resubmit": "resubmit", "attach files to": "attach"}


def words(key: str, lang: str, **kw: Any) -> str:
    pair = TEXT[key]
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**kw) if kw else text


class _Filled(dict):
    """A refusal's params for its words; one the service did not give shows as an ellipsis, never as a crash."""

    def __missing__(self, key: str) -> str:
        return "…"


def param_words(params: dict[str, Any] | None, lang: str) -> dict[str, str]:
    """A refusal's params as its words show them: a stage, a status, an action or a column by its name in the
    chosen language, a number without a trailing .0."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if isinstance(value, float):
            out[key] = f"{value:g}"
        elif key in ("stage", "status"):
            name = f"{'pt.stage' if key == 'stage' else 'un.status'}.{value}"
            out[key] = i18n.t(name, lang) if name in i18n.STRINGS else str(value)
        elif key == "action":
            out[key] = words(f"action.{value}", lang) if f"action.{value}" in TEXT else str(value)
        elif key == "columns":
            # "a, b/c": the columns a and (b or c), each by the header the file may use in the chosen language
            out[key] = words("list_sep", lang).join(_either([_column(c, lang) for c in part.split("/")], lang)
                                                   for part in str(value).split(","))
        else:
            out[key] = str(value)
    return out


def _column(name: str, lang: str) -> str:
    name = name.strip()
    return words(f"column.{name}", lang) if f"column.{name}" in TEXT else name


def _either(names: list[str], lang: str) -> str:
    out = names[0]
    for more in names[1:]:
        out = words("either", lang, a=out, b=more)
    return out


def code_text(key: str, lang: str, params: dict[str, Any] | None) -> str:
    """The words of a code, filled in with the refusal's params."""
    pair = TEXT[key]
    return (pair[1] if lang == "en" else pair[0]).format_map(_Filled(param_words(params, lang)))


def known(key: str) -> bool:
    return key in TEXT


# ---- a refusal's parts -------------------------------------------------------------------------------------------

def error_of(body: Any) -> dict[str, Any] | None:
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else None


def code_of(status: int, body: Any) -> str:
    err = error_of(body)
    if err and err.get("code"):
        return str(err["code"])
    return {0: "unreachable", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
            413: "too_large", 422: "invalid", 429: "rate_limited"}.get(status, "error")


def problems(status: int, body: Any) -> list[dict[str, Any]]:
    """Every problem of an error answer as {"field", "message", "check"?, "limits"?, "params"?}; field "" names
    none."""
    err = error_of(body)
    if err is None:
        return [{"field": "token" if status == 401 else "", "message": str(body)[:300] if body else ""}]
    listed = [dict(p, field=str(p.get("field") or ""), message=str(p.get("message") or ""))
              for p in err.get("problems") or [] if isinstance(p, dict)]
    one: dict[str, Any] = {"field": str(err.get("field") or ""), "message": str(err.get("message") or "")}
    if isinstance(err.get("params"), dict):
        one["params"] = err["params"]
    return listed or [one]


# ---- the field, as the form names it -----------------------------------------------------------------------------

_PART = re.compile(r"[.\[\]]+")


def label(name: str, lang: str, form: str | None = None) -> str | None:
    pair = FIELDS.get(f"{form}.{name}") or FIELDS.get(name)
    return None if pair is None else (pair[1] if lang == "en" else pair[0])


def field_label(field: str, lang: str, form: str | None = None, criteria: dict[str, str] | None = None,
                labels: dict[str, str] | None = None) -> str:
    """The field as the form names it: the form's own labels first, a criterion by its name (self_assessment.<id>,
    scores.<id>), an item of a list by its place ("评选类别第 1 项的名额")."""
    if labels and field in labels:
        return labels[field]
    parts = [p for p in _PART.split(field) if p]
    if not parts:
        return ""
    head = labels.get(parts[0]) if labels and parts[0] in labels else label(parts[0], lang, form) or parts[0]
    if len(parts) == 1:
        return head
    if parts[0] in ("self_assessment", "scores") and len(parts) == 2:
        name = (criteria or {}).get(parts[1], parts[1])
        return f"{head}“{name}”" if lang == "zh" else f"{head} “{name}”"
    leaf = parts[-1]
    leaf_words = label(leaf, lang, form) or leaf
    index = next((p for p in parts[1:] if p.isdigit()), None)
    if index is None:
        return f"{head}：{leaf_words}" if lang == "zh" else f"{head}: {leaf_words}"
    return words("item", lang, list=head, n=int(index) + 1, leaf=leaf_words)


# ---- why -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A finer reason: where the code is one of `codes`, the field one of `fields` and the message says `says`
    (each when given), the words of `key`, with {n} the number the message gives after `number`."""

    key: str
    codes: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    says: str = ""
    number: str = ""
    default: str = ""

    def matches(self, code: str, head: str, message: str) -> bool:
        return ((not self.codes or code in self.codes) and (not self.fields or head in self.fields)
                and (not self.says or self.says in message))

    def text(self, message: str, lang: str) -> str:
        if not self.number:
            return words(self.key, lang)
        m = re.search(self.number + r"\s*" + _NUMBER, message)
        return words(self.key, lang, n=m.group(1) if m else self.default)


UNIT_RULES = (
    Rule("why.stage_closed.unit", codes=("closed", "stage_closed")),
    Rule("why.stage_closed.unit", fields=("stage",)),
    Rule("why.not_yours", codes=("forbidden", "not_found"), fields=("nomination_id",)),
)
RULES = (
    Rule("code.unauthorized", fields=("token",)),
    Rule("why.not_in_tree", says="not in the organisation tree"),
    Rule("why.outside", says="outside", fields=("nominee_id", "unit_id")),
    Rule("why.already", says="already nominated"),
    Rule("why.veto", says="veto", fields=("nominee_id", "unit_id")),
    Rule("why.limit", says="limit of", number="limit of"),
    Rule("why.unknown_criterion", says="unknown criterion"),
    Rule("why.range", says="from 0 to", number="from 0 to"),
    Rule("why.step", says="multiple of", number="multiple of"),
    Rule("why.too_long", says="longer than", number="longer than"),
    Rule("why.file_type", says="file type"),
    Rule("why.file_type", says="not an accepted type"),
    Rule("why.file_empty", says="is empty", fields=("file", "attachments")),
    Rule("why.file_size", says="larger than", number="larger than", default="10"),
    Rule("why.file_size", codes=("too_large",), number="larger than", default="10"),
    Rule("why.file_count", says="at most", fields=("file",), number="at most"),
    Rule("why.file_race", says="while the file was uploading"),
    Rule("why.already_state", codes=("conflict",), fields=("stage",), says="is already"),
    Rule("why.already_noticed", codes=("conflict",), says="is already in a notice"),
    Rule("why.investigating", codes=("conflict",), fields=("state",), says="cannot be"),
    Rule("why.past", codes=("invalid",), says="in the past"),
    Rule("why.after_opens", codes=("invalid",), says="must be after"),
    Rule("why.unique", codes=("invalid",), says="must be unique"),
    Rule("why.sum_one", codes=("invalid",), says="sum to 1"),
)
CONTACT_RULES = (
    Rule("valid.contact", codes=("invalid",), fields=("phone",), says="phone or email"),
    Rule("valid.phone", codes=("invalid",), fields=("phone",)),
    Rule("valid.name", codes=("invalid",), fields=("name",), says="real name"),
    Rule("valid.email", codes=("invalid",), fields=("email",), says="e-mail"),
)


def _stage_words(message: str, lang: str) -> str:
    m = re.search(r"the (\w+) stage", message)
    key = f"pt.stage.{m.group(1)}" if m else ""
    return i18n.t(key, lang) if key in i18n.STRINGS else (m.group(1) if m else "")


def _kind_words(message: str, lang: str) -> str:
    m = re.search(r"takes nominees of kind (\w+)", message)
    kind = m.group(1) if m else ""
    key = f"un.kind.{kind}"
    return i18n.t(key, lang) if key in i18n.STRINGS else kind


def _bad_status(message: str, lang: str) -> str | None:
    m = _BAD_STATUS.search(message)
    if not m:
        return None
    action, status = ACTIONS[m.group(1)], m.group(2)
    status_key = f"un.status.{status}"
    status_words = i18n.t(status_key, lang) if status_key in i18n.STRINGS else status
    return words("why.bad_status", lang, status=status_words, action=i18n.t(f"un.action.{action}", lang))


def check_words(problem: dict[str, Any], lang: str) -> str | None:
    """A failed check of a request's validation (a 422 problem with its check), in words; None without a check."""
    check = problem.get("check")
    if not check:
        return None
    limits = problem.get("limits") or {}
    n = next((limits[k] for k in ("min_length", "max_length", "ge", "gt", "le", "lt") if k in limits), "")
    if f"check.{check}.{n}" in TEXT:
        return words(f"check.{check}.{n}", lang)
    key = f"check.{check}" if f"check.{check}" in TEXT else "check.value_error"
    return words(key, lang, n=n)


def _legacy_check(code: str, message: str, lang: str) -> str | None:
    """A 422 problem from a service without checks: pydantic's English message tells the check."""
    if code != "invalid":
        return None
    if "at least 1 character" in message or "field required" in message.lower():
        return words("check.missing", lang)
    if message.startswith(("String should", "Input should", "Value error", "List should")):
        return words("check.value_error", lang)
    return None


def code_words(code: str, message: str, lang: str, service: str | None = None,
               params: dict[str, Any] | None = None) -> str:
    """The words of a stable code (the service's own where it words it its own way), with the refusal's params."""
    if service and f"code.{service}.{code}" in TEXT:
        return code_text(f"code.{service}.{code}", lang, params)
    if code == "stage_closed" and not (params or {}).get("stage"):
        return words("code.stage_closed", lang, stage=_stage_words(message, lang))
    if f"code.{code}" in TEXT:
        return code_text(f"code.{code}", lang, params)
    return words("code.other", lang, code=code)


def has_own_words(code: str) -> bool:
    """A code of its own (not one many refusals share) that has its words."""
    return code not in SHARED_CODES and f"code.{code}" in TEXT


def why(code: str, field: str, message: str, lang: str, *, form: str | None = None,
        problem: dict[str, Any] | None = None, service: str | None = None,
        params: dict[str, Any] | None = None) -> str:
    """Why the service refused, in the chosen language: from the failed check of a 422, else a form's own words,
    else the words of a code of its own (with its params), else a finer reason the message's wording tells, else the
    shared code's words."""
    head = _PART.split(field)[0] if field else ""
    checked = check_words(problem or {}, lang)
    if checked:
        return checked
    if params is None:
        params = (problem or {}).get("params")
    own = has_own_words(code)
    rules = (UNIT_RULES if form == "unit" else ()) + tuple(r for r in RULES + CONTACT_RULES if r.codes or not own)
    rule = next((r for r in rules if r.matches(code, head, message)), None)
    if rule is not None:
        return rule.text(message, lang)
    if own:
        return code_words(code, message, lang, service, params)
    if "takes nominees of kind" in message:
        return words("why.wrong_kind", lang, kind=_kind_words(message, lang))
    return _bad_status(message, lang) or _legacy_check(code, message, lang) or code_words(code, message, lang,
                                                                                          service, params)


def line(field_words: str, why_words: str, lang: str) -> str:
    return words("line", lang, field=field_words, why=why_words) if field_words else sentence(why_words, lang)


def sentence(text: str, lang: str) -> str:
    """A reason standing alone: capitalised in English."""
    return text[:1].upper() + text[1:] if lang == "en" else text


def explain(status: int, body: Any, lang: str, *, form: str | None = None, criteria: dict[str, str] | None = None,
            labels: dict[str, str] | None = None, service: str | None = None) -> list[tuple[str, str]]:
    """Every problem of a refusal as (field, the line a person reads): "<the field as the form names it>：<why>"."""
    code = code_of(status, body)
    out = []
    for p in problems(status, body):
        field = p["field"]
        reason = why(code, field, p["message"], lang, form=form, problem=p, service=service)
        out.append((field, line(field_label(field, lang, form, criteria, labels) if field else "", reason, lang)))
    return out


def summary(status: int, body: Any, lang: str, **kw: Any) -> str:
    """A refusal in one line: its problems joined."""
    lines = [text for _, text in explain(status, body, lang, **kw)]
    out = lines[0] if lines else words("code.error", lang)
    for more in lines[1:]:
        out = words("joined", lang, a=out.rstrip("。."), b=more)
    return out


def local(field: str, key: str, lang: str, *, form: str | None = None, **kw: Any) -> str:
    """A page's own check, refused before anything is sent, in the same words as a service's refusal."""
    return line(field_label(field, lang, form), words(key, lang, **kw), lang)
